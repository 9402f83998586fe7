/** GET /v1/apps/{app_id}/webhooks/{webhook_id}/stats: how a webhook's endpoint has been answering. */
import { z } from 'zod';

import { webhookAttemptStats } from '../../db/queries/delivery-log';
import { findWebhook } from '../../db/queries/webhooks';
import { parseDuration } from '../../domain/durations';
import { isPlausibleId } from '../body';
import { notFound } from '../errors';
import { durationField, timestamp, webhookParams } from '../fields';
import { defineRoute } from '../route';

const MAX_WINDOW_MS = 30 * 86_400_000;

export const webhookStatsQuerySchema = z.strictObject({
  window: durationField(
    { minMs: 1, maxMs: MAX_WINDOW_MS },
    'must be a whole duration such as 1h, 24h or 7d, at most 30d',
  )
    .default('24h')
    .describe('How far back attempts count: a whole duration such as 90m, 24h or 7d, at most 30d. Default 24h.'),
});

const ms = z.number().nullable();

export const webhookStatsSchema = z
  .object({
    webhook_id: z.string(),
    window: z.string().describe('The window, as asked for.'),
    attempts: z.int().describe('Attempts started in the window, retries and test sends included.'),
    success_rate: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe('Attempts answered 2xx / attempts; null when there were none.'),
    response_time_ms: z
      .object({ p50: ms, p95: ms, p99: ms })
      .describe(
        'Percentiles (interpolated, 0.1 ms) of the duration of attempts in the window that got an HTTP answer; null when none did.',
      ),
    consecutive_failures: z
      .int()
      .describe('Failed attempts since the last success, at any time (not only in the window).'),
    last_error: z
      .object({
        at: timestamp,
        error_class: z.string().nullable(),
        error_message: z.string().nullable(),
        status_code: z.int().nullable(),
      })
      .nullable()
      .describe('The most recent failed attempt, at any time.'),
    last_success: z
      .object({ at: timestamp, status_code: z.int(), duration_ms: z.int() })
      .nullable()
      .describe('The most recent attempt answered 2xx, at any time.'),
  })
  .meta({ id: 'WebhookStats' });

const tenths = (x: number) => Math.round(x * 10) / 10;

export const webhookStatsRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/stats',
    operationId: 'getWebhookStats',
    tags: ['Webhooks'],
    summary: "How a webhook's endpoint has been answering",
    description:
      'Attempts, success rate (2xx) and response-time percentiles over `window`; consecutive failures since the ' +
      'last success, the last error and the last success over all time. A deleted webhook has no stats (404).',
    access: 'key',
    params: webhookParams,
    query: webhookStatsQuerySchema,
    responses: { 200: { description: 'The statistics.', schema: webhookStatsSchema } },
  }).handle(async ({ params, query }, ctx) => {
    const webhook = isPlausibleId(params.webhook_id)
      ? await findWebhook(ctx.deps.db, ctx.app.id, params.webhook_id)
      : undefined;
    if (!webhook) throw notFound(`Webhook ${params.webhook_id}`);
    const windowMs = parseDuration(query.window) as number;
    const stats = await webhookAttemptStats(ctx.deps.db, webhook.app_id, webhook.id, windowMs);
    const [p50, p95, p99] = stats.percentiles?.map(tenths) ?? [null, null, null];
    return {
      status: 200,
      body: {
        webhook_id: webhook.id,
        window: query.window,
        attempts: stats.attempts,
        success_rate: stats.attempts === 0 ? null : stats.succeeded / stats.attempts,
        response_time_ms: { p50: p50 ?? null, p95: p95 ?? null, p99: p99 ?? null },
        consecutive_failures: stats.consecutive_failures,
        last_error: stats.last_error && {
          at: stats.last_error.started_at.toISOString(),
          error_class: stats.last_error.error_class,
          error_message: stats.last_error.error_message,
          status_code: stats.last_error.status_code,
        },
        last_success: stats.last_success && {
          at: stats.last_success.started_at.toISOString(),
          status_code: stats.last_success.status_code,
          duration_ms: stats.last_success.duration_ms,
        },
      },
    };
  }),
];
