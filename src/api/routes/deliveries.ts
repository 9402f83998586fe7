import { Router } from 'express';
import { z } from 'zod';

import type { Db } from '../../db/pool';
import { type AttemptRow, findDelivery, findDeliveryApp, listAttempts } from '../../db/queries/deliveries';
import { type DeliverySummaryRow, listDeliveries } from '../../db/queries/delivery-log';
import type { DeliveryStatus } from '../../domain/delivery';
import { identifier } from '../../domain/event-body';
import { CHAT_EVENT_TYPES } from '../../domain/events';
import { type ReplayDeps, startReplay } from '../../services/replay';
import { requireAdmin, scopedApp } from '../auth';
import { isPlausibleId, requireNoBody } from '../body';
import { ApiError, notFound, parseOr400 } from '../errors';
import { page, pageQuerySchema } from '../pagination';

export const DELIVERY_STATUSES = [
  'pending',
  'succeeded',
  'failed',
  'skipped',
] as const satisfies readonly DeliveryStatus[];

const instant = z.iso.datetime({ offset: true });

export const deliveryListQuerySchema = z
  .strictObject({
    ...pageQuerySchema.shape,
    webhook_id: identifier(200)
      .optional()
      .describe('Only deliveries to this webhook (it may since have been deleted).'),
    status: z.enum(DELIVERY_STATUSES).optional(),
    event_type: z
      .enum(CHAT_EVENT_TYPES)
      .optional()
      .describe('The type of the event posted; a custom-condition delivery has its message_sent event\u2019s type.'),
    conversation_id: identifier(200).optional(),
    since: instant.optional().describe('ISO 8601 with an offset: deliveries created at or after it.'),
    until: instant.optional().describe('ISO 8601 with an offset: deliveries created before it.'),
  })
  .refine((q) => q.since === undefined || q.until === undefined || Date.parse(q.since) <= Date.parse(q.until), {
    path: ['until'],
    message: 'must not be before since',
  });

const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601, UTC.');

export const deliverySummarySchema = z.object({
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
  last_error: z.string().nullable().describe('"error_class: message" of the last attempt, or why no attempt was made.'),
  next_attempt_at: timestamp.nullable().describe('When the next attempt is due, while status is pending.'),
  is_test: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
  completed_at: timestamp.nullable(),
});

export const deliveryAttemptSchema = z.object({
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
});

export const deliveryDetailSchema = z.object({
  ...deliverySummarySchema.shape,
  payload: z.record(z.string(), z.unknown()).describe('The body as sent, parsed: the same JSON the receiver got.'),
  workflow_url: z.string().describe('The workflow in the Temporal UI.'),
  attempts: z.array(deliveryAttemptSchema).describe('Every attempt, first to last.'),
});

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

export const replayResultSchema = z.object({
  delivery_id: z.string(),
  replay_workflow_id: z.string().describe('The workflow sending it again; its attempts are appended to the delivery.'),
  status: z.enum(['replaying', 'duplicate']).describe('duplicate: this Idempotency-Key already started that replay.'),
});

/** The delivery log of an app: what was sent where, when, and what each attempt got back; and replays. */
export function createDeliveriesRouter(
  deps: ReplayDeps & { temporalUi?: { baseUrl: string; namespace: string } },
): Router {
  const router = Router({ mergeParams: true });
  const ui = deps.temporalUi ?? DEFAULT_TEMPORAL_UI;

  router.get('/', async (req, res) => {
    const query = parseOr400(deliveryListQuerySchema, req.query, 'query');
    const filter = {
      webhookId: query.webhook_id,
      status: query.status,
      eventType: query.event_type,
      conversationId: query.conversation_id,
      since: query.since,
      until: query.until,
    };
    res.json(
      await page(
        query,
        (p) => listDeliveries(deps.db, scopedApp(res).id, filter, p),
        (row) => deliverySummaryJson(row),
      ),
    );
  });

  // Sends the stored payload again: same webhook-id, fresh timestamp and signature, the webhook's current URL and secret.
  router.post('/:delivery_id/replay', requireNoBody, async (req, res) => {
    const deliveryId = req.params.delivery_id as string;
    const key = parseOr400(
      z.object({ 'Idempotency-Key': identifier(200).optional() }),
      { 'Idempotency-Key': req.get('idempotency-key') },
      'header',
    )['Idempotency-Key'];
    const result = isPlausibleId(deliveryId)
      ? await startReplay(deps, scopedApp(res).id, deliveryId, key)
      : { outcome: 'not_found' as const };
    switch (result.outcome) {
      case 'started':
      case 'duplicate':
        res.status(result.outcome === 'started' ? 202 : 200).json({
          delivery_id: deliveryId,
          replay_workflow_id: result.workflowId,
          status: result.outcome === 'started' ? 'replaying' : 'duplicate',
        } satisfies z.input<typeof replayResultSchema>);
        return;
      case 'not_found':
        throw notFound(`Delivery ${deliveryId}`);
      case 'webhook_gone':
        throw new ApiError(
          409,
          'webhook_deleted',
          "The delivery's webhook was deleted, so there is nowhere to send it",
        );
      case 'webhook_disabled':
        throw new ApiError(
          409,
          'webhook_disabled',
          "The delivery's webhook is disabled: enable it (PATCH enabled: true), then replay",
        );
      default: {
        const unreachable: never = result;
        throw new Error(`unhandled replay outcome ${JSON.stringify(unreachable)}`);
      }
    }
  });

  router.get('/:delivery_id', async (req, res) => {
    const deliveryId = req.params.delivery_id as string;
    const delivery = isPlausibleId(deliveryId) ? await findDelivery(deps.db, scopedApp(res).id, deliveryId) : undefined;
    if (!delivery) throw notFound(`Delivery ${deliveryId}`);
    const attempts = await listAttempts(deps.db, delivery.id);
    res.json({
      ...deliverySummaryJson(delivery),
      // The stored text is the exact body signed and sent; it is always a JSON object.
      payload: JSON.parse(delivery.payload) as Record<string, unknown>,
      workflow_url: temporalWorkflowUrl(ui, delivery.workflow_id),
      attempts: attempts.map(deliveryAttemptJson),
    } satisfies z.input<typeof deliveryDetailSchema>);
  });

  return router;
}

/**
 * Admin only: which app a delivery belongs to, for tools that hold just a delivery id (`chat-webhooks replay`).
 * Answers `{ id, app_id }`; the app's own routes give the rest.
 */
export function createDeliveryLookupRouter(deps: { db: Db }): Router {
  const router = Router();
  router.get('/:delivery_id', requireAdmin, async (req, res) => {
    const deliveryId = req.params.delivery_id as string;
    const row = isPlausibleId(deliveryId) ? await findDeliveryApp(deps.db, deliveryId) : undefined;
    if (!row) throw notFound(`Delivery ${deliveryId}`);
    res.json({ id: deliveryId, app_id: row });
  });
  return router;
}
