/** The delivery log: listing and reading deliveries, replaying one, and finding a delivery's app. */
import { z } from 'zod';

import { type AttemptRow, findDelivery, findDeliveryApp, listAttempts } from '../../db/queries/deliveries';
import { type DeliverySummaryRow, listDeliveries } from '../../db/queries/delivery-log';
import type { DeliveryStatus } from '../../domain/delivery';
import { identifier } from '../../domain/event-body';
import { CHAT_EVENT_TYPES } from '../../domain/events';
import { startReplay } from '../../services/replay';
import { isPlausibleId } from '../body';
import { ApiError, notFound } from '../errors';
import { appParams, timestamp } from '../fields';
import { listOf, page, pageQuerySchema } from '../pagination';
import { defineRoute } from '../route';

export const DELIVERY_STATUSES = [
  'pending',
  'succeeded',
  'failed',
  'skipped',
] as const satisfies readonly DeliveryStatus[];

const instant = z.iso.datetime({ offset: true });

/** `since` after `until` is no error: no delivery lies in that window, and the page is empty. */
export const deliveryListQuerySchema = z.strictObject({
  ...pageQuerySchema.shape,
  webhook_id: identifier(200).optional().describe('Only deliveries to this webhook (it may since have been deleted).'),
  status: z.enum(DELIVERY_STATUSES).optional(),
  event_type: z
    .enum(CHAT_EVENT_TYPES)
    .optional()
    .describe('The type of the event posted; a custom-condition delivery has its message_sent event\u2019s type.'),
  conversation_id: identifier(200).optional(),
  since: instant.optional().describe('ISO 8601 with an offset: deliveries created at or after it.'),
  until: instant.optional().describe('ISO 8601 with an offset: deliveries created before it.'),
});

export const deliverySummarySchema = z
  .object({
    id: z.string().describe('The delivery id (msg_...), sent as the webhook-id header.'),
    webhook_id: z.string(),
    event_id: z.string(),
    event_type: z.string().describe(`The type of the event posted: ${CHAT_EVENT_TYPES.join(', ')}.`),
    condition_id: z
      .string()
      .nullable()
      .describe('The condition that fired this delivery; null for the event\u2019s own delivery.'),
    conversation_id: z.string().nullable(),
    workflow_id: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempt_count: z.int(),
    last_status_code: z.int().nullable(),
    last_error: z
      .string()
      .nullable()
      .describe('"error_class: message" of the last attempt, or why no attempt was made.'),
    next_attempt_at: timestamp.nullable().describe('When the next attempt is due, while status is pending.'),
    is_test: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
    completed_at: timestamp.nullable(),
  })
  .meta({ id: 'DeliverySummary' });

export const deliveryAttemptSchema = z
  .object({
    attempt: z.int().describe('1 for the first attempt.'),
    started_at: timestamp,
    duration_ms: z.int(),
    status_code: z.int().nullable().describe('null when no HTTP answer arrived.'),
    error_class: z
      .string()
      .nullable()
      .describe(
        'null on a 2xx; http_status, timeout, connection_refused, connection_reset, dns, tls, network or blocked_destination.',
      ),
    error_message: z.string().nullable(),
    response_headers: z
      .record(z.string(), z.string())
      .nullable()
      .describe('The few headers kept: content-type, retry-after, location...'),
    response_excerpt: z.string().nullable().describe('At most the first 4 KB of the answer.'),
    next_attempt_at: timestamp.nullable(),
  })
  .meta({ id: 'DeliveryAttempt' });

export const deliveryDetailSchema = z
  .object({
    ...deliverySummarySchema.shape,
    payload: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe(
        'The body as sent, parsed: the same JSON the receiver got. Null once PAYLOAD_RETENTION has passed ' +
          '(payload_expired_at) or its user was erased (erased_at); the metadata and attempts stay.',
      ),
    payload_expired_at: timestamp
      .nullable()
      .describe('When the payload and the attempts\u2019 response excerpts were deleted under PAYLOAD_RETENTION.'),
    erased_at: timestamp
      .nullable()
      .describe('When the payload and excerpts were deleted by DELETE /v1/apps/{app_id}/users/{user_id}.'),
    workflow_url: z.string().describe('The workflow in the Temporal UI.'),
    attempts: z.array(deliveryAttemptSchema).describe('Every attempt, first to last.'),
  })
  .meta({ id: 'DeliveryDetail' });

const deliveryListSchema = listOf(deliverySummarySchema).meta({ id: 'DeliveryList' });

type DeliverySummaryJson = z.input<typeof deliverySummarySchema>;

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function deliverySummaryJson(d: Omit<DeliverySummaryRow, 'cursor_at'>): DeliverySummaryJson {
  return {
    id: d.id,
    webhook_id: d.webhook_id,
    event_id: d.event_id,
    event_type: d.event_type,
    condition_id: d.condition_id === '' ? null : d.condition_id,
    conversation_id: d.conversation_id,
    workflow_id: d.workflow_id,
    status: d.status,
    attempt_count: d.attempt_count,
    last_status_code: d.last_status_code,
    last_error: d.last_error,
    next_attempt_at: isoOrNull(d.next_attempt_at),
    is_test: d.is_test,
    created_at: iso(d.created_at),
    updated_at: iso(d.updated_at),
    completed_at: isoOrNull(d.completed_at),
  };
}

export function deliveryAttemptJson(a: AttemptRow): z.input<typeof deliveryAttemptSchema> {
  return {
    attempt: a.attempt,
    started_at: iso(a.started_at),
    duration_ms: a.duration_ms,
    status_code: a.status_code,
    error_class: a.error_class,
    error_message: a.error_message,
    response_headers: a.response_headers,
    response_excerpt: a.response_excerpt,
    next_attempt_at: isoOrNull(a.next_attempt_at),
  };
}

/** Where the Temporal UI shows a workflow; it opens the latest run. */
export function temporalWorkflowUrl(ui: { baseUrl: string; namespace: string }, workflowId: string): string {
  return `${ui.baseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(ui.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export const DEFAULT_TEMPORAL_UI = { baseUrl: 'http://localhost:8233', namespace: 'default' };

export const replayResultSchema = z
  .object({
    delivery_id: z.string(),
    replay_workflow_id: z
      .string()
      .describe('The workflow sending it again; its attempts are appended to the delivery.'),
    status: z.enum(['replaying', 'duplicate']).describe('duplicate: this Idempotency-Key already started that replay.'),
  })
  .meta({ id: 'ReplayResult' });

const deliveryParams = appParams.extend({
  delivery_id: z.string().describe('The delivery id (msg_...), sent as the webhook-id header.'),
});

/**
 * From a page of deliveries to the operations on its first one. (An empty page has none: Schemathesis then notes
 * that the link had nothing to take, which is no failure.)
 */
const firstDeliveryLinks = {
  GetDelivery: {
    operationId: 'getDelivery',
    parameters: { app_id: '$request.path.app_id', delivery_id: '$response.body#/data/0/id' },
  },
  ReplayDelivery: {
    operationId: 'replayDelivery',
    parameters: { app_id: '$request.path.app_id', delivery_id: '$response.body#/data/0/id' },
  },
  FindDeliveryApp: { operationId: 'findDeliveryApp', parameters: { delivery_id: '$response.body#/data/0/id' } },
};

export const deliveryRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/deliveries',
    operationId: 'listDeliveries',
    tags: ['Deliveries'],
    summary: "List an app's deliveries",
    description:
      'Newest first, filtered by any of `webhook_id`, `status`, `event_type`, `conversation_id` and a `since` ' +
      '(inclusive) / `until` (exclusive) range on the creation time. The payload is left out: get the delivery for it.',
    access: 'key',
    params: appParams,
    query: deliveryListQuerySchema,
    responses: {
      200: {
        description: 'A page of deliveries, newest first.',
        schema: deliveryListSchema,
        links: firstDeliveryLinks,
      },
    },
  }).handle(async ({ query }, ctx) => {
    const filter = {
      webhookId: query.webhook_id,
      status: query.status,
      eventType: query.event_type,
      conversationId: query.conversation_id,
      // As UTC: zod takes any offset ISO 8601 allows, Postgres only up to ±15:59.
      since: query.since === undefined ? undefined : new Date(query.since).toISOString(),
      until: query.until === undefined ? undefined : new Date(query.until).toISOString(),
    };
    return {
      status: 200,
      body: await page(
        query,
        (p) => listDeliveries(ctx.deps.db, ctx.app.id, filter, p),
        (row) => deliverySummaryJson(row),
      ),
    };
  }),

  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/deliveries/{delivery_id}',
    operationId: 'getDelivery',
    tags: ['Deliveries'],
    summary: 'Get a delivery, its payload and every attempt',
    access: 'key',
    params: deliveryParams,
    responses: {
      200: {
        description: 'The delivery.',
        schema: deliveryDetailSchema,
        links: {
          ReplayDelivery: {
            operationId: 'replayDelivery',
            parameters: { app_id: '$request.path.app_id', delivery_id: '$response.body#/id' },
          },
          GetEvaluation: {
            operationId: 'getEvaluation',
            parameters: { app_id: '$request.path.app_id', event_id: '$response.body#/event_id' },
          },
        },
      },
    },
  }).handle(async ({ params }, ctx) => {
    const { delivery_id: deliveryId } = params;
    const delivery = isPlausibleId(deliveryId) ? await findDelivery(ctx.deps.db, ctx.app.id, deliveryId) : undefined;
    if (!delivery) throw notFound(`Delivery ${deliveryId}`);
    const attempts = await listAttempts(ctx.deps.db, delivery.id);
    return {
      status: 200,
      body: {
        ...deliverySummaryJson(delivery),
        // The stored text is the exact body signed and sent; it is always a JSON object.
        payload: delivery.payload === null ? null : (JSON.parse(delivery.payload) as Record<string, unknown>),
        payload_expired_at: isoOrNull(delivery.payload_purged_at),
        erased_at: isoOrNull(delivery.erased_at),
        workflow_url: temporalWorkflowUrl(ctx.deps.temporalUi ?? DEFAULT_TEMPORAL_UI, delivery.workflow_id),
        attempts: attempts.map(deliveryAttemptJson),
      },
    };
  }),

  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/deliveries/{delivery_id}/replay',
    operationId: 'replayDelivery',
    tags: ['Deliveries'],
    summary: 'Send a delivery again',
    description:
      "Sends the stored payload again with the same webhook-id, a fresh timestamp and signature, to the webhook's " +
      'current URL and secret; works for failed, skipped and succeeded deliveries, and appends attempts to the same ' +
      'delivery. A delivery whose payload expired (PAYLOAD_RETENTION) or was erased answers 409 payload_expired. With an Idempotency-Key, repeating the request finds the same replay (200, status duplicate).',
    access: 'key',
    params: deliveryParams,
    headers: z.object({
      'Idempotency-Key': identifier(200)
        .optional()
        .describe('Any text without control characters, at most 200 characters: one replay per key.'),
    }),
    responses: {
      202: { description: 'The replay started.', schema: replayResultSchema },
      200: { description: 'This Idempotency-Key already started it.', schema: replayResultSchema },
    },
    errors: ['webhook_deleted', 'webhook_disabled', 'payload_expired', 'temporal_unavailable'],
  }).handle(async ({ params, headers }, ctx) => {
    const { delivery_id: deliveryId } = params;
    const result = isPlausibleId(deliveryId)
      ? await startReplay(ctx.deps, ctx.app.id, deliveryId, headers['Idempotency-Key'])
      : { outcome: 'not_found' as const };
    switch (result.outcome) {
      case 'started':
      case 'duplicate':
        return {
          status: result.outcome === 'started' ? 202 : 200,
          body: {
            delivery_id: deliveryId,
            replay_workflow_id: result.workflowId,
            status: result.outcome === 'started' ? 'replaying' : 'duplicate',
          },
        };
      case 'not_found':
        throw notFound(`Delivery ${deliveryId}`);
      case 'webhook_gone':
        throw new ApiError('webhook_deleted', "The delivery's webhook was deleted, so there is nowhere to send it");
      case 'webhook_disabled':
        throw new ApiError(
          'webhook_disabled',
          "The delivery's webhook is disabled: enable it (PATCH enabled: true), then replay",
        );
      case 'payload_expired':
        throw new ApiError(
          'payload_expired',
          result.erasedAt
            ? `The delivery's payload was erased at ${result.erasedAt.toISOString()} (its user was deleted): there is nothing to send again`
            : `The delivery's payload was deleted at ${result.purgedAt?.toISOString() ?? 'an earlier purge'} (PAYLOAD_RETENTION): there is nothing to send again`,
        );
      default: {
        const unreachable: never = result;
        throw new Error(`unhandled replay outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }),

  defineRoute({
    method: 'get',
    path: '/v1/deliveries/{delivery_id}',
    operationId: 'findDeliveryApp',
    tags: ['Deliveries'],
    summary: 'Which app a delivery belongs to (admin key)',
    description:
      "For tools that hold only a delivery id, such as `chat-webhooks replay`. The app's routes give the rest.",
    access: 'admin',
    params: z.object({ delivery_id: deliveryParams.shape.delivery_id }),
    responses: {
      200: {
        description: "The delivery's app.",
        schema: z.object({ id: z.string(), app_id: z.string() }).meta({ id: 'DeliveryApp' }),
      },
    },
    errors: ['not_found'],
  }).handle(async ({ params }, ctx) => {
    const { delivery_id: deliveryId } = params;
    const appId = isPlausibleId(deliveryId) ? await findDeliveryApp(ctx.deps.db, deliveryId) : undefined;
    if (!appId) throw notFound(`Delivery ${deliveryId}`);
    return { status: 200, body: { id: deliveryId, app_id: appId } };
  }),
];
