/**
 * The portal's one way to the API: the typed client (src/client, openapi-fetch) with the session token as its bearer,
 * and the one TanStack Query cache. Pages use the query options and calls below and never build URLs themselves.
 */
import { MutationCache, QueryCache, QueryClient, queryOptions } from '@tanstack/react-query';

import {
  type ApiErrorBody,
  type ChatWebhooksClient,
  ChatWebhooksError,
  type components,
  createChatWebhooksClient,
  ok,
} from '../../src/client';
import { endSession, type Session } from './session';

export type App = components['schemas']['App'];
export type Webhook = components['schemas']['Webhook'];
export type WebhookWithSecret = components['schemas']['WebhookWithSecret'];
export type CreateWebhookBody = components['schemas']['CreateWebhookBody'];
export type UpdateWebhookBody = components['schemas']['UpdateWebhookBody'];
export type DeliverySummary = components['schemas']['DeliverySummary'];
export type DeliveryDetail = components['schemas']['DeliveryDetail'];
export type TestSendResult = components['schemas']['TestSendResult'];
export type TryConditionBody = components['schemas']['TryConditionBody'];
export type EventTypeId = Webhook['events'][number];
export type DeliveryStatus = DeliverySummary['status'];
export type EventType = components['schemas']['EventType'];
export type WebhookSummary = components['schemas']['WebhookSummary'];
export type SeriesPoint = components['schemas']['WebhookStatsSeries']['points'][number];
export type UrlCheck = components['schemas']['UrlCheck'];

let client: ChatWebhooksClient | undefined;
let currentAppId = '';

/** Called once at start with the session read from the link. */
export function connect(session: Session): void {
  client = createChatWebhooksClient({ baseUrl: window.location.origin, apiKey: session.token });
  currentAppId = session.appId;
}

function api(): ChatWebhooksClient {
  if (!client) throw new Error('connect() runs before the first API call');
  return client;
}

const app = () => ({ app_id: currentAppId });
const hook = (webhook_id: string) => ({ app_id: currentAppId, webhook_id });

/** The server's own words for a failure: its messages are written for the person reading the page. */
export function errorMessage(error: unknown): string {
  if (error instanceof ChatWebhooksError) {
    return error.body?.error?.message ?? `The service answered HTTP ${error.status}.`;
  }
  if (error instanceof TypeError) return 'The service could not be reached. Check your connection and try again.';
  return error instanceof Error ? error.message : String(error);
}

export function errorCode(error: unknown): string | undefined {
  return error instanceof ChatWebhooksError ? error.body?.error?.code : undefined;
}

/** `details` of a 400/422, by field (`url`, `events`, `conditions.0.prompt`, …). */
export function fieldErrors(error: unknown): Record<string, string> {
  const details: ApiErrorBody['error']['details'] =
    error instanceof ChatWebhooksError ? error.body?.error?.details : undefined;
  const out: Record<string, string> = {};
  for (const { field, message } of details ?? []) out[field] ??= message;
  return out;
}

/** A 401 ends the session for the whole page: each code has its own explanation. */
function onAnyError(error: unknown): void {
  if (!(error instanceof ChatWebhooksError) || error.status !== 401) return;
  const code = error.body?.error?.code;
  endSession(code === 'portal_session_expired' ? 'expired' : code === 'portal_session_revoked' ? 'revoked' : 'invalid');
}

export const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: onAnyError }),
  mutationCache: new MutationCache({ onError: onAnyError }),
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // A 4xx will not change by asking again; network trouble and 5xx may.
      retry: (count, error) => count < 2 && !(error instanceof ChatWebhooksError && error.status < 500),
    },
  },
});

/** Webhook list pages; the list and its summaries share limit and cursor, so each page is two calls. */
const WEBHOOK_PAGE_SIZE = 50;

export interface WebhookRow {
  webhook: Webhook;
  summary: WebhookSummary | undefined;
}

export interface DeliveryFilters {
  webhook_id?: string;
  status?: DeliveryStatus;
  event_type?: Exclude<EventTypeId, 'custom_condition'>;
  conversation_id?: string;
  since?: string;
}

const eventCatalogue = {
  queryKey: ['event-types'],
  staleTime: Infinity,
  queryFn: async () => ok(await api().GET('/v1/apps/{app_id}/event-types', { params: { path: app() } })),
};

export const queries = {
  app: () =>
    queryOptions({
      queryKey: ['app'],
      queryFn: async () => ok(await api().GET('/v1/apps/{app_id}', { params: { path: app() } })),
    }),

  /** The event types, named and described as the product's settings page does. */
  eventTypes: () =>
    queryOptions({
      ...eventCatalogue,
      select: (catalogue) => catalogue.data,
    }),

  /** The example prompts to start a custom condition from, from the same answer. */
  examplePrompts: () =>
    queryOptions({
      ...eventCatalogue,
      select: (catalogue) => catalogue.example_condition_prompts,
    }),

  /** One page of webhooks with their 24 h summaries: the two routes share limit and cursor. */
  webhookPage: async (cursor: string | undefined): Promise<{ rows: WebhookRow[]; next_cursor: string | null }> => {
    const query = { limit: WEBHOOK_PAGE_SIZE, ...(cursor ? { cursor } : {}) };
    const [list, summaries] = await Promise.all([
      api()
        .GET('/v1/apps/{app_id}/webhooks', { params: { path: app(), query } })
        .then(ok),
      api()
        .GET('/v1/apps/{app_id}/webhook-stats', { params: { path: app(), query: { ...query, window: '24h' } } })
        .then(ok),
    ]);
    const byId = new Map(summaries.data.map((s) => [s.webhook_id, s]));
    return {
      rows: list.data.map((webhook) => ({ webhook, summary: byId.get(webhook.id) })),
      next_cursor: list.next_cursor,
    };
  },

  /** Every webhook, for pickers: an app has a handful, so a few pages of 100 at most. */
  allWebhooks: () =>
    queryOptions({
      queryKey: ['webhooks', 'all'],
      queryFn: async () => {
        const all: Webhook[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 10; page++) {
          const query = { limit: 100, ...(cursor ? { cursor } : {}) };
          const result = ok(await api().GET('/v1/apps/{app_id}/webhooks', { params: { path: app(), query } }));
          all.push(...result.data);
          if (!result.next_cursor) break;
          cursor = result.next_cursor;
        }
        return all;
      },
    }),

  webhook: (id: string) =>
    queryOptions({
      queryKey: ['webhook', id],
      queryFn: async () =>
        ok(await api().GET('/v1/apps/{app_id}/webhooks/{webhook_id}', { params: { path: hook(id) } })),
    }),

  stats: (id: string, window: string) =>
    queryOptions({
      queryKey: ['stats', id, window],
      queryFn: async () =>
        ok(
          await api().GET('/v1/apps/{app_id}/webhooks/{webhook_id}/stats', {
            params: { path: hook(id), query: { window } },
          }),
        ),
    }),

  series: (id: string, window: string, interval: string) =>
    queryOptions({
      queryKey: ['series', id, window, interval],
      queryFn: async () =>
        ok(
          await api().GET('/v1/apps/{app_id}/webhooks/{webhook_id}/stats/series', {
            params: { path: hook(id), query: { window, interval } },
          }),
        ),
    }),

  deliveryPage: (filters: DeliveryFilters, limit: number, cursor: string | undefined) =>
    api()
      .GET('/v1/apps/{app_id}/deliveries', {
        params: { path: app(), query: { ...filters, limit, ...(cursor ? { cursor } : {}) } },
      })
      .then(ok),

  delivery: (id: string) =>
    queryOptions({
      queryKey: ['delivery', id],
      queryFn: async () =>
        ok(
          await api().GET('/v1/apps/{app_id}/deliveries/{delivery_id}', {
            params: { path: { app_id: currentAppId, delivery_id: id } },
          }),
        ),
    }),

  recovery: (webhookId: string, recoveryId: string) =>
    queryOptions({
      queryKey: ['recovery', webhookId, recoveryId],
      queryFn: async () =>
        ok(
          await api().GET('/v1/apps/{app_id}/webhooks/{webhook_id}/recoveries/{recovery_id}', {
            params: { path: { ...hook(webhookId), recovery_id: recoveryId } },
          }),
        ),
    }),
};

/** Every call that changes something, or shows a secret: none is made by a read session's page. */
export const calls = {
  updateApp: async (body: components['schemas']['UpdateAppBody']) =>
    ok(await api().PATCH('/v1/apps/{app_id}', { params: { path: app() }, body })),

  createWebhook: async (body: CreateWebhookBody) =>
    ok(await api().POST('/v1/apps/{app_id}/webhooks', { params: { path: app() }, body })),

  updateWebhook: async (id: string, body: UpdateWebhookBody) =>
    ok(await api().PATCH('/v1/apps/{app_id}/webhooks/{webhook_id}', { params: { path: hook(id) }, body })),

  deleteWebhook: async (id: string) => {
    ok(await api().DELETE('/v1/apps/{app_id}/webhooks/{webhook_id}', { params: { path: hook(id) } }));
  },

  revealSecret: async (id: string) =>
    ok(await api().GET('/v1/apps/{app_id}/webhooks/{webhook_id}/secret', { params: { path: hook(id) } })),

  rotateSecret: async (id: string) =>
    ok(await api().POST('/v1/apps/{app_id}/webhooks/{webhook_id}/rotate-secret', { params: { path: hook(id) } })),

  sendTest: async (id: string): Promise<TestSendResult> =>
    ok(await api().POST('/v1/apps/{app_id}/webhooks/{webhook_id}/test', { params: { path: hook(id) } })),

  recover: async (id: string, since: string) =>
    ok(
      await api().POST('/v1/apps/{app_id}/webhooks/{webhook_id}/recover', {
        params: { path: hook(id) },
        body: { since },
      }),
    ),

  replay: async (deliveryId: string, idempotencyKey: string) =>
    ok(
      await api().POST('/v1/apps/{app_id}/deliveries/{delivery_id}/replay', {
        params: {
          path: { app_id: currentAppId, delivery_id: deliveryId },
          header: { 'Idempotency-Key': idempotencyKey },
        },
      }),
    ),

  tryCondition: async (body: TryConditionBody) =>
    ok(await api().POST('/v1/apps/{app_id}/conditions/try', { params: { path: app() }, body })),

  checkUrl: async (url: string, signal: AbortSignal): Promise<UrlCheck> =>
    ok(await api().POST('/v1/apps/{app_id}/url-checks', { params: { path: app() }, body: { url }, signal })),
};
