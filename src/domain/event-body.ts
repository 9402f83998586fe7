/**
 * What the platform backend posts to `POST /v1/apps/:app_id/events`, as zod schemas, and its normal form. Kept apart
 * from events.ts so that the workflow bundle, which loads its modules for every workflow, builds no schemas.
 */
import { z } from 'zod';

import { CHAT_EVENT_TYPES, type ChatEvent, type ChatEventType } from './events';

const NEEDS_CONVERSATION: ReadonlySet<ChatEventType> = new Set(['message_sent', 'conversation_end']);

/** Identifiers travel in workflow ids, headers and logs, so control characters are refused. */
export const identifier = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

/** Free text: anything but NUL, which Postgres cannot store. A pattern, so that the OpenAPI document says so too. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[^\u0000]*$/, 'must not contain NUL characters');

/**
 * What String.prototype.trim removes, spelled out: `\s` means other things in other regex dialects (Python's includes
 * U+001C-U+001F, and not U+FEFF), and the OpenAPI document's pattern must mean the same everywhere.
 */
const TRIMMED = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/**
 * Free text with at least one character that is not white space, and no NUL. Its length is checked as sent; the
 * white space around it is then removed.
 */
export const nonBlankText = (max: number) =>
  z
    .string()
    .max(max)
    .regex(
      new RegExp(`^[^\\u0000]*[^\\u0000${TRIMMED}][^\\u0000]*$`),
      'must hold more than white space, and no NUL characters',
    )
    .trim()
    .describe('White space around it is removed.');

/**
 * An address is passed on, never mailed, so it is not validated as one: internationalised addresses (RFC 6531, such
 * as `josé@exämple.com` or `用户@例子.广告`) and short ones (`a@b.c`) are what real systems hold. It needs an @ and no
 * control characters.
 */
const emailAddress = z
  .string()
  .max(320)
  .regex(/^[^\u0000-\u001f\u007f@]*@[^\u0000-\u001f\u007f]*$/, 'must contain an @ and no control characters')
  .describe('Passed on as given: any address with an @ (internationalised ones too), at most 320 characters.');

export const chatEventUserSchema = z.strictObject({
  id: identifier(200).optional(),
  email: emailAddress.optional(),
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
  })
  // The refinement, in JSON Schema, so that the OpenAPI document states it.
  .meta({
    id: 'ChatEventBody',
    if: { properties: { type: { enum: [...NEEDS_CONVERSATION] } }, required: ['type'] },
    then: { required: ['conversation_id'] },
  });
export type ChatEventBody = z.infer<typeof chatEventBodySchema>;

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
