import crypto from 'node:crypto';

/**
 * Prefixed random ids (122 random bits): the prefix says what an id names when it turns up in a log or a ticket.
 * `msg_` is the Standard Webhooks convention for the `webhook-id` header.
 */
export function newId(prefix: 'app' | 'wh' | 'msg'): string {
  return `${prefix}_${crypto.randomUUID().replaceAll('-', '')}`;
}
