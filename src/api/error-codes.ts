/**
 * Every error code the API answers, with its HTTP status and what it means. 400 is for a request that breaks its
 * schema, as the OpenAPI document states it; 422 for a schema-valid request that breaks a rule no schema can state
 * (an address the URL resolves to, two conditions with one id); 409 for one that conflicts with what is stored. Routes can throw only these codes (the
 * `ApiError` constructor takes an `ApiErrorCode`), and the OpenAPI document lists, for each operation and status,
 * the codes that operation can answer (see route.ts).
 */
import { BODY_LIMIT_TEXT } from './limits';

export const API_ERRORS = {
  validation_failed: { status: 400, meaning: 'A field breaks a rule; `details` names each one.' },
  invalid_json: { status: 400, meaning: 'The body is not valid JSON.' },
  invalid_utf8: { status: 400, meaning: 'The body is not valid UTF-8.' },
  invalid_encoding: { status: 400, meaning: 'The body does not match its Content-Encoding.' },
  request_aborted: { status: 400, meaning: 'The body was not received in full.' },
  unauthorized: { status: 401, meaning: 'No key, or a key the service does not know.' },
  portal_session_expired: { status: 401, meaning: 'The portal session has expired: ask for a new portal link.' },
  portal_session_revoked: { status: 401, meaning: 'The portal session was revoked: ask for a new portal link.' },
  forbidden: {
    status: 403,
    meaning: 'The key may not do this: an admin-only route, or a portal session without the right to it.',
  },
  not_found: { status: 404, meaning: 'No such resource, or the key does not reach it.' },
  method_not_allowed: { status: 405, meaning: 'The path exists, but not with this method; `Allow` lists its methods.' },
  conditions_conflict: {
    status: 409,
    meaning:
      'With what the webhook has, the change leaves custom_condition without conditions, or conditions without it.',
  },
  webhook_deleted: { status: 409, meaning: "The delivery's webhook was deleted: there is nowhere to send it." },
  webhook_disabled: { status: 409, meaning: "The delivery's webhook is disabled: enable it first." },
  payload_expired: {
    status: 409,
    meaning:
      "The delivery's payload was deleted (PAYLOAD_RETENTION passed, or its user was erased): it cannot be sent again.",
  },
  rate_limited: {
    status: 429,
    meaning:
      "The app posts events faster than its max_events_per_second (or the server's APP_MAX_EVENTS_PER_SECOND): " +
      'nothing was written and nothing started. Retry after Retry-After seconds, with the same event id.',
  },
  body_too_large: { status: 413, meaning: `The body is larger than ${BODY_LIMIT_TEXT}.` },
  invalid_url: {
    status: 422,
    meaning: 'The URL is, or its host resolves to, an address the service does not call (private, loopback, ...).',
  },
  duplicate_condition_id: { status: 422, meaning: 'Two conditions have the same id.' },
  invalid_filter: {
    status: 422,
    meaning:
      'A filter or prefilter is not a valid CEL expression over the event: `details` names the field, the problem and its position.',
  },
  invalid_window: {
    status: 422,
    meaning: 'The window is empty (since is not before until), out of range, or holds too many chart buckets.',
  },
  unsupported_media_type: { status: 415, meaning: 'The body is not application/json.' },
  unsupported_encoding: { status: 415, meaning: 'The body\u2019s charset or Content-Encoding is not supported.' },
  internal: { status: 500, meaning: 'A fault in the service; nothing half-done is kept. Logged with the request.' },
  llm_rejected: { status: 502, meaning: 'The LLM refused the request.' },
  llm_output_unusable: { status: 502, meaning: 'The LLM answered, but not with a usable verdict.' },
  llm_not_configured: {
    status: 501,
    meaning: 'This service has no LLM configured (OPENAI_API_KEY or OPENAI_BASE_URL); retrying will not help.',
  },
  temporal_unavailable: { status: 503, meaning: 'The workflow engine is unreachable; nothing was done. Retry later.' },
  database_unavailable: { status: 503, meaning: 'The database is unreachable; nothing was done. Retry later.' },
  llm_unavailable: { status: 503, meaning: 'The LLM is unreachable or rate-limited. Retry later.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** Every 503 says when to come back. */
export const DEFAULT_RETRY_AFTER_S = 5;

export function statusOf(code: ApiErrorCode): number {
  return API_ERRORS[code].status;
}
