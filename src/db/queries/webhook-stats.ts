/**
 * How a webhook's endpoint has been answering, from the delivery log's attempts: totals and percentiles over a window,
 * the same per time bucket for charts, and one summary row per webhook of an app for its list.
 */
import { EXACT_CREATED_AT, type PageKey } from '../../api/pagination';
import type { DeliveryStatus } from '../../domain/delivery';
import type { Queryable } from '../pool';

export interface WebhookStatsRow {
  attempts: number;
  succeeded: number;
  /** [p50, p95, p99] of duration_ms over attempts that got an HTTP answer; null when none did. */
  percentiles: [number, number, number] | null;
  consecutive_failures: number;
  last_error: {
    started_at: Date;
    error_class: string | null;
    error_message: string | null;
    status_code: number | null;
  } | null;
  last_success: { started_at: Date; status_code: number; duration_ms: number } | null;
}

/**
 * Attempt statistics of one webhook. The counts and percentiles cover attempts started in the last `windowMs`;
 * `consecutive_failures`, `last_error` and `last_success` look at the webhook's whole history. An attempt succeeded
 * when it got a 2xx, as the delivery activity decides.
 */
export async function webhookAttemptStats(
  db: Queryable,
  appId: string,
  webhookId: string,
  windowMs: number,
): Promise<WebhookStatsRow> {
  const { rows } = await db.query<{
    attempts: number;
    succeeded: number;
    percentiles: number[] | null;
    consecutive_failures: number;
    error_at: Date | null;
    error_class: string | null;
    error_message: string | null;
    error_status_code: number | null;
    success_at: Date | null;
    success_status_code: number | null;
    success_duration_ms: number | null;
  }>(
    `WITH a AS (
       SELECT da.delivery_id, da.attempt, da.started_at, da.duration_ms, da.status_code, da.error_class, da.error_message,
         coalesce(da.status_code BETWEEN 200 AND 299, false) AS ok
       FROM delivery_attempts da JOIN deliveries d ON d.id = da.delivery_id
       WHERE d.app_id = $1 AND d.webhook_id = $2
     ),
     last_ok AS (SELECT * FROM a WHERE ok ORDER BY started_at DESC, delivery_id DESC, attempt DESC LIMIT 1),
     last_bad AS (SELECT * FROM a WHERE NOT ok ORDER BY started_at DESC, delivery_id DESC, attempt DESC LIMIT 1),
     win AS (
       SELECT count(*) AS attempts, count(*) FILTER (WHERE ok) AS succeeded,
         percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY duration_ms)
           FILTER (WHERE status_code IS NOT NULL) AS percentiles
       FROM a WHERE started_at >= now() - $3::bigint * interval '1 millisecond'
     )
     SELECT win.attempts, win.succeeded, win.percentiles,
       (SELECT count(*) FROM a
        WHERE NOT ok AND (NOT EXISTS (SELECT FROM last_ok)
          OR (a.started_at, a.delivery_id, a.attempt) > (SELECT started_at, delivery_id, attempt FROM last_ok))) AS consecutive_failures,
       last_bad.started_at AS error_at, last_bad.error_class, last_bad.error_message, last_bad.status_code AS error_status_code,
       last_ok.started_at AS success_at, last_ok.status_code AS success_status_code, last_ok.duration_ms AS success_duration_ms
     FROM win LEFT JOIN last_bad ON true LEFT JOIN last_ok ON true`,
    [appId, webhookId, windowMs],
  );
  const r = rows[0]!;
  return {
    attempts: r.attempts,
    succeeded: r.succeeded,
    percentiles: r.percentiles ? [r.percentiles[0]!, r.percentiles[1]!, r.percentiles[2]!] : null,
    consecutive_failures: r.consecutive_failures,
    last_error: r.error_at
      ? {
          started_at: r.error_at,
          error_class: r.error_class,
          error_message: r.error_message,
          status_code: r.error_status_code,
        }
      : null,
    last_success: r.success_at
      ? { started_at: r.success_at, status_code: r.success_status_code!, duration_ms: r.success_duration_ms! }
      : null,
  };
}

export interface WebhookSummaryRow {
  id: string;
  cursor_at: string;
  attempts: number;
  succeeded: number;
  last_delivery_id: string | null;
  last_delivery_status: DeliveryStatus | null;
  last_delivery_event_type: string | null;
  last_delivery_at: Date | null;
}

/**
 * One row per webhook of the app, in the order and pages of listWebhooks: attempts and successes in the window, and
 * the newest delivery. One statement for a whole page, so a list of webhooks costs the same whatever its length.
 */
export async function webhookSummaries(
  db: Queryable,
  appId: string,
  windowMs: number,
  page: { limit: number; from?: PageKey },
): Promise<WebhookSummaryRow[]> {
  const { rows } = await db.query<WebhookSummaryRow>(
    `SELECT w.id, ${EXACT_CREATED_AT.replace('created_at', 'w.created_at')} AS cursor_at,
       coalesce(s.attempts, 0)::int AS attempts, coalesce(s.succeeded, 0)::int AS succeeded,
       ld.id AS last_delivery_id, ld.status AS last_delivery_status, ld.event_type AS last_delivery_event_type,
       ld.created_at AS last_delivery_at
     FROM webhooks w
     LEFT JOIN LATERAL (
       SELECT count(*) AS attempts, count(*) FILTER (WHERE da.status_code BETWEEN 200 AND 299) AS succeeded
       FROM deliveries d JOIN delivery_attempts da ON da.delivery_id = d.id
       WHERE d.webhook_id = w.id AND d.app_id = w.app_id
         AND da.started_at >= now() - $2::bigint * interval '1 millisecond'
     ) s ON true
     LEFT JOIN LATERAL (
       SELECT d.id, d.status, d.event_type, d.created_at FROM deliveries d
       WHERE d.webhook_id = w.id AND d.app_id = w.app_id
       ORDER BY d.created_at DESC, d.id DESC LIMIT 1
     ) ld ON true
     WHERE w.app_id = $1 AND ($3::timestamptz IS NULL OR (w.created_at, w.id) > ($3::timestamptz, $4::text))
     ORDER BY w.created_at, w.id LIMIT $5`,
    [appId, windowMs, page.from?.at ?? null, page.from?.id ?? null, page.limit],
  );
  return rows;
}

export interface WebhookSeriesPoint {
  start: Date;
  attempts: number;
  succeeded: number;
  percentiles: [number, number, number] | null;
}

/**
 * Attempts of one webhook in `intervalMs` buckets over the window, oldest first, every bucket present (empty ones
 * with zeros), so a chart's x axis is even. Buckets are aligned to the epoch, so two calls agree on their edges.
 */
export async function webhookAttemptSeries(
  db: Queryable,
  appId: string,
  webhookId: string,
  windowMs: number,
  intervalMs: number,
): Promise<WebhookSeriesPoint[]> {
  const { rows } = await db.query<{ start: Date; attempts: number; succeeded: number; percentiles: number[] | null }>(
    `WITH bounds AS (
       SELECT date_bin($4::bigint * interval '1 millisecond', now() - $3::bigint * interval '1 millisecond',
                       timestamptz 'epoch') AS first_bucket,
              date_bin($4::bigint * interval '1 millisecond', now(), timestamptz 'epoch') AS last_bucket
     ),
     buckets AS (
       SELECT generate_series(first_bucket, last_bucket, $4::bigint * interval '1 millisecond') AS start FROM bounds
     ),
     a AS (
       SELECT date_bin($4::bigint * interval '1 millisecond', da.started_at, timestamptz 'epoch') AS bucket,
         da.duration_ms, da.status_code
       FROM delivery_attempts da JOIN deliveries d ON d.id = da.delivery_id, bounds
       WHERE d.app_id = $1 AND d.webhook_id = $2 AND da.started_at >= bounds.first_bucket
     )
     SELECT b.start, count(a.bucket)::int AS attempts,
       count(a.bucket) FILTER (WHERE a.status_code BETWEEN 200 AND 299)::int AS succeeded,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY a.duration_ms)
         FILTER (WHERE a.status_code IS NOT NULL) AS percentiles
     FROM buckets b LEFT JOIN a ON a.bucket = b.start
     GROUP BY b.start ORDER BY b.start`,
    [appId, webhookId, windowMs, intervalMs],
  );
  return rows.map((r) => ({
    start: r.start,
    attempts: r.attempts,
    succeeded: r.succeeded,
    percentiles: r.percentiles ? [r.percentiles[0]!, r.percentiles[1]!, r.percentiles[2]!] : null,
  }));
}
