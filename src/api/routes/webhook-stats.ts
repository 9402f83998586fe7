/**
 * How webhooks' endpoints have been answering: one webhook's totals (`.../stats`), the same over time for a chart
 * (`.../stats/series`), and a summary of every webhook of an app in one call for its list (`/webhook-stats`).
 */
import { z } from 'zod';

import { webhookAttemptSeries, webhookAttemptStats, webhookSummaries } from '../../db/queries/webhook-stats';
import { findWebhook } from '../../db/queries/webhooks';
import { parseDuration } from '../../domain/durations';
import { isPlausibleId } from '../body';
import { ApiError, notFound } from '../errors';
import { appParams, durationField, timestamp, webhookParams } from '../fields';
import { listOf, page, pageQuerySchema } from '../pagination';
import { defineRoute } from '../route';
import { DELIVERY_STATUSES } from './deliveries';

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

const responseTimesSchema = z.object({ p50: ms, p95: ms, p99: ms });

/** A chart has at most this many buckets: 30 days by the hour is 721. */
export const MAX_SERIES_POINTS = 1000;

export const webhookSeriesQuerySchema = z.strictObject({
  window: webhookStatsQuerySchema.shape.window,
  interval: durationField(
    { minMs: 60_000, maxMs: MAX_WINDOW_MS },
    'must be a whole duration from 1m to 30d, such as 1h',
  )
    .default('1h')
    .describe(
      `The width of each bucket: a whole duration from 1m to 30d. Default 1h. window / interval may give at most ${MAX_SERIES_POINTS} buckets.`,
    ),
});

const seriesPointSchema = z.object({
  start: timestamp.describe('Where the bucket starts; buckets are aligned to whole intervals since 1970 (UTC).'),
  attempts: z.int(),
  succeeded: z.int().describe('Attempts answered 2xx.'),
  success_rate: z.number().min(0).max(1).nullable().describe('succeeded / attempts; null for an empty bucket.'),
  response_time_ms: responseTimesSchema.describe('Percentiles of attempts in the bucket that got an HTTP answer.'),
});

export const webhookSeriesSchema = z
  .object({
    webhook_id: z.string(),
    window: z.string(),
    interval: z.string(),
    points: z.array(seriesPointSchema).describe('Every bucket from the one holding now - window to now, oldest first.'),
  })
  .meta({ id: 'WebhookStatsSeries' });

export const webhookSummarySchema = z
  .object({
    webhook_id: z.string(),
    attempts: z.int().describe('Attempts started in the window.'),
    success_rate: z.number().min(0).max(1).nullable().describe('Attempts answered 2xx / attempts; null when none.'),
    last_delivery: z
      .object({
        id: z.string(),
        status: z.enum(DELIVERY_STATUSES),
        event_type: z.string(),
        at: timestamp.describe('When the delivery was created.'),
      })
      .nullable()
      .describe('The newest delivery to this webhook, at any time.'),
  })
  .meta({ id: 'WebhookSummary' });

const webhookSummaryListSchema = listOf(webhookSummarySchema)
  .extend({ window: z.string() })
  .meta({ id: 'WebhookSummaryList' });

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
    response_time_ms: responseTimesSchema.describe(
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

function responseTimes(percentiles: [number, number, number] | null) {
  const [p50, p95, p99] = percentiles?.map(tenths) ?? [null, null, null];
  return { p50: p50 ?? null, p95: p95 ?? null, p99: p99 ?? null };
}

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
    return {
      status: 200,
      body: {
        webhook_id: webhook.id,
        window: query.window,
        attempts: stats.attempts,
        success_rate: stats.attempts === 0 ? null : stats.succeeded / stats.attempts,
        response_time_ms: responseTimes(stats.percentiles),
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

  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/stats/series',
    operationId: 'getWebhookStatsSeries',
    tags: ['Webhooks'],
    summary: "A webhook's success rate and response times over time",
    description:
      'The attempts of `window` in buckets of `interval`: for each, attempts, successes (2xx), the success rate and ' +
      'the p50/p95/p99 response times. Every bucket is present, empty ones with zero attempts, so a chart can plot ' +
      `the points as they come. At most ${MAX_SERIES_POINTS} buckets (422 invalid_window beyond).`,
    access: 'key',
    params: webhookParams,
    query: webhookSeriesQuerySchema,
    responses: { 200: { description: 'The buckets, oldest first.', schema: webhookSeriesSchema } },
    errors: ['invalid_window'],
  }).handle(async ({ params, query }, ctx) => {
    const webhook = isPlausibleId(params.webhook_id)
      ? await findWebhook(ctx.deps.db, ctx.app.id, params.webhook_id)
      : undefined;
    if (!webhook) throw notFound(`Webhook ${params.webhook_id}`);
    const windowMs = parseDuration(query.window) as number;
    const intervalMs = parseDuration(query.interval) as number;
    if (Math.floor(windowMs / intervalMs) + 1 > MAX_SERIES_POINTS) {
      throw new ApiError(
        'invalid_window',
        `window ${query.window} in buckets of ${query.interval} is more than ${MAX_SERIES_POINTS} buckets: choose a longer interval`,
        [{ field: 'interval', message: `more than ${MAX_SERIES_POINTS} buckets in the window` }],
      );
    }
    const points = await webhookAttemptSeries(ctx.deps.db, webhook.app_id, webhook.id, windowMs, intervalMs);
    return {
      status: 200,
      body: {
        webhook_id: webhook.id,
        window: query.window,
        interval: query.interval,
        points: points.map((p) => ({
          start: p.start.toISOString(),
          attempts: p.attempts,
          succeeded: p.succeeded,
          success_rate: p.attempts === 0 ? null : p.succeeded / p.attempts,
          response_time_ms: responseTimes(p.percentiles),
        })),
      },
    };
  }),

  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/webhook-stats',
    operationId: 'listWebhookStats',
    tags: ['Webhooks'],
    summary: 'Every webhook of an app: its success rate and last delivery',
    description:
      'One row per webhook, in the same order and pages as listing the webhooks (pass the same `limit` and ' +
      '`cursor`): attempts and success rate over `window`, and the newest delivery. A webhook list needs this one ' +
      'call, not one per webhook.',
    access: 'key',
    params: appParams,
    query: pageQuerySchema.extend({ window: webhookStatsQuerySchema.shape.window }),
    responses: { 200: { description: 'A page of summaries, oldest webhook first.', schema: webhookSummaryListSchema } },
  }).handle(async ({ query }, ctx) => {
    const windowMs = parseDuration(query.window) as number;
    const summaries = await page(
      query,
      (p) => webhookSummaries(ctx.deps.db, ctx.app.id, windowMs, p),
      (row) => ({
        webhook_id: row.id,
        attempts: row.attempts,
        success_rate: row.attempts === 0 ? null : row.succeeded / row.attempts,
        last_delivery: row.last_delivery_id
          ? {
              id: row.last_delivery_id,
              status: row.last_delivery_status!,
              event_type: row.last_delivery_event_type!,
              at: row.last_delivery_at!.toISOString(),
            }
          : null,
      }),
    );
    return { status: 200, body: { window: query.window, ...summaries } };
  }),
];
