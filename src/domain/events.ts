/**
 * Chat events: what the platform backend posts, what a workflow receives, and the names receivers see.
 * Pure code: workflows import it.
 */
import { z } from 'zod';

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

const NEEDS_CONVERSATION: ReadonlySet<ChatEventType> = new Set(['message_sent', 'conversation_end']);

/** Identifiers travel in workflow ids, headers and logs, so control characters are refused. */
export const identifier = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL bytes');

export const chatEventUserSchema = z.strictObject({
  id: identifier(200).optional(),
  email: z.email().max(320).optional(),
  name: text(200).optional(),
  logged_in: z.boolean(),
});

/** Body of `POST /v1/apps/:app_id/events`. */
export const chatEventBodySchema = z
  .strictObject({
    id: identifier(200).optional().describe("The caller's event id; repeated ids are answered as duplicates."),
    type: z.enum(CHAT_EVENT_TYPES),
    occurred_at: z.iso.datetime({ offset: true }).optional().describe('ISO 8601; default: the time of receipt.'),
    conversation_id: identifier(200).optional(),
    user: chatEventUserSchema.optional(),
    message: text(100_000).optional().describe("The user's message (message_sent)."),
    response: text(100_000).optional().describe("The app's response (message_sent)."),
  })
  .superRefine((body, ctx) => {
    if (NEEDS_CONVERSATION.has(body.type) && body.conversation_id === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['conversation_id'],
        message: `conversation_id is required for ${body.type}`,
      });
    }
  });
export type ChatEventBody = z.infer<typeof chatEventBodySchema>;

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

export function toChatEvent(appId: string, eventId: string, body: ChatEventBody, receivedAt: Date): ChatEvent {
  const isMessage = body.type === 'message_sent';
  return {
    appId,
    eventId,
    type: body.type,
    occurredAt: new Date(body.occurred_at ?? receivedAt).toISOString(),
    conversationId: body.conversation_id ?? null,
    user: body.user
      ? {
          id: body.user.id ?? null,
          email: body.user.email ?? null,
          name: body.user.name ?? null,
          loggedIn: body.user.logged_in,
        }
      : null,
    // Fields that belong to another event type are dropped, so the payload's null means "not this event's field".
    message: isMessage ? (body.message ?? null) : null,
    response: isMessage ? (body.response ?? null) : null,
  };
}

export { chatEventWorkflowId, conversationWorkflowId, WEBHOOKS_CHANGED_SIGNAL } from './workflow-ids';
