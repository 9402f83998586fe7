// Pure definitions: the API, the dev-server launcher, migrations and workflows all use them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

import type { DeliverySummary } from './delivery';

/** Search attributes of chat-event workflows: what operators filter on in the Temporal UI and CLI. */
export const SearchAttributes = {
  AppId: defineSearchAttributeKey('AppId', SearchAttributeType.KEYWORD),
  EventType: defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD),
  ConversationId: defineSearchAttributeKey('ConversationId', SearchAttributeType.KEYWORD),
  /** The webhooks the event is delivered to. */
  WebhookIds: defineSearchAttributeKey('WebhookIds', SearchAttributeType.KEYWORD_LIST),
  /** Where the event's deliveries stand: see DeliveryState. */
  DeliveryState: defineSearchAttributeKey('DeliveryState', SearchAttributeType.KEYWORD),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SearchAttributes);

export type DeliveryState = 'delivering' | 'delivered' | 'partially_failed' | 'failed' | 'nothing_to_send';

/** The state an event's finished deliveries add up to. Skipped deliveries (disabled webhooks) count as not delivered. */
export function deliveryStateOf(deliveries: Pick<DeliverySummary, 'status'>[]): DeliveryState {
  if (deliveries.length === 0) return 'nothing_to_send';
  const succeeded = deliveries.filter((d) => d.status === 'succeeded').length;
  if (succeeded === deliveries.length) return 'delivered';
  return succeeded === 0 ? 'failed' : 'partially_failed';
}
