/**
 * The typed client of the chat-webhooks API, exported as `chat-webhooks/client`. It is openapi-fetch over the types
 * openapi-typescript generated from the OpenAPI document (./openapi.generated.ts), so every path, parameter, body and answer is
 * checked by the compiler against the API as its routes declare it.
 *
 *   const api = createChatWebhooksClient({ baseUrl: 'https://hooks.example.com', apiKey: process.env.APP_KEY });
 *   const { data, error } = await api.POST('/v1/apps/{app_id}/events', {
 *     params: { path: { app_id: appId } },
 *     body: { id: 'evt_1', type: 'user_signup', user: { logged_in: true, email: 'ada@example.com' } },
 *   });
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';

import type { components, operations, paths } from './openapi.generated';

export type { components, operations, paths };

export type ChatWebhooksClient = Client<paths>;

/** The error body every route answers with: `{ error: { code, message, details? } }`. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
}

export interface ChatWebhooksClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where the API is, e.g. http://localhost:3000. */
  baseUrl: string;
  /** The admin key or an app key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
}

export function createChatWebhooksClient(options: ChatWebhooksClientOptions): ChatWebhooksClient {
  const { apiKey, baseUrl, headers, ...rest } = options;
  // Any form of headers the caller gives (object, Headers, pairs), with the key added unless they set one.
  const merged = new Headers(headers as ConstructorParameters<typeof Headers>[0]);
  if (apiKey && !merged.has('authorization')) merged.set('authorization', `Bearer ${apiKey}`);
  return createClient<paths>({ ...rest, baseUrl: baseUrl.replace(/\/+$/, ''), headers: Object.fromEntries(merged) });
}

/** Thrown by `ok()` for an answer that is not a success. */
export class ChatWebhooksError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | undefined,
  ) {
    super(body?.error ? `${status} ${body.error.code}: ${body.error.message}` : `HTTP ${status}`);
    this.name = 'ChatWebhooksError';
  }
}

/**
 * The data of a successful answer, or a ChatWebhooksError: `const app = ok(await api.POST('/v1/apps', { body }))`.
 */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.error === undefined) return result.data as T;
  throw new ChatWebhooksError(result.response.status, result.error as ApiErrorBody | undefined);
}
