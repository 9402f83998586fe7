import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
// Pure definitions: the API, the dev-server launcher and workflows (child starts) all use them.

/** Search attributes of chat-event workflows: what operators filter on in the Temporal UI and CLI. */
export const SearchAttributes = {
  AppId: defineSearchAttributeKey('AppId', SearchAttributeType.KEYWORD),
  EventType: defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD),
  ConversationId: defineSearchAttributeKey('ConversationId', SearchAttributeType.KEYWORD),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SearchAttributes);
