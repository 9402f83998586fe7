/**
 * Chat events: what a workflow receives, the names receivers see, and the predicates that route an event. Pure code
 * without zod: workflows import it (the request schemas are in event-body.ts).
 */

/** Event types a backend can post. */
export const CHAT_EVENT_TYPES = ['message_sent', 'user_signup', 'conversation_end'] as const;
export type ChatEventType = (typeof CHAT_EVENT_TYPES)[number];

/** Event types a webhook can subscribe to: the posted ones, plus conditions that the service itself judges. */
export const WEBHOOK_EVENT_TYPES = [...CHAT_EVENT_TYPES, 'custom_condition'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The `event` field of the payload, exactly as the product documentation names it. */
export const EVENT_LABELS: Record<WebhookEventType, string> = {
  message_sent: 'Message sent',
  user_signup: 'New user signup',
  conversation_end: 'Conversation end',
  custom_condition: 'Custom condition',
};

/** What a chat-event workflow receives: the validated event, normalised, with every optional value explicit. */
export interface ChatEvent {
  appId: string;
  eventId: string;
  type: ChatEventType;
  /** ISO 8601 in UTC with milliseconds. */
  occurredAt: string;
  conversationId: string | null;
  user: { id: string | null; email: string | null; name: string | null; loggedIn: boolean } | null;
  message: string | null;
  response: string | null;
  /** Set for a test send: deliver only to this webhook, once, with `"test": true` in the payload. */
  testWebhookId?: string;
}

/** A test send: one attempt to one webhook, outside conversations, conditions and endpoint health. */
export function isTestSend<E extends Pick<ChatEvent, 'testWebhookId'>>(
  event: E,
): event is E & { testWebhookId: string } {
  return Boolean(event.testWebhookId);
}

type Routing = Pick<ChatEvent, 'type' | 'conversationId' | 'testWebhookId'>;

/** Custom conditions are judged against messages in a conversation (when the app has any). */
export function mayNeedJudging(event: Routing): boolean {
  return event.type === 'message_sent' && Boolean(event.conversationId) && !isTestSend(event);
}

/** Messages move a conversation's idle clock; a conversation_end ends it. */
export function tracksConversation(event: Routing): boolean {
  return (
    (event.type === 'message_sent' || event.type === 'conversation_end') &&
    Boolean(event.conversationId) &&
    !isTestSend(event)
  );
}

/** "Conversation end" goes out once per conversation, whether the backend or the idle timer said so first. */
export function endsConversation(event: Routing): boolean {
  return event.type === 'conversation_end' && tracksConversation(event);
}
