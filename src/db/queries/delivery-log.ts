/**
 * Read side of the delivery log: filtered, newest-first pages of deliveries, and per-webhook attempt statistics.
 * Writes, single deliveries and their attempts live in `deliveries.ts`.
 */
import { EXACT_CREATED_AT, type PageKey } from '../../api/pagination';
import type { DeliveryStatus } from '../../domain/delivery';
import type { Queryable } from '../pool';
import type { DeliveryRow } from './deliveries';

/** A delivery without its payload, plus `cursor_at`: created_at to the microsecond, which a JS Date cannot hold. */
export type DeliverySummaryRow = Omit<DeliveryRow, 'app_id' | 'payload'> & { cursor_at: string };

export interface DeliveryFilter {
  webhookId?: string;
  status?: DeliveryStatus;
  eventType?: string;
  conversationId?: string;
  /** ISO 8601 text, passed to Postgres as is so no precision is lost: created_at >= since. */
  since?: string;
  /** created_at < until. */
  until?: string;
}

/** The deliveries of an app that match the filter, newest first, strictly before the (created_at, id) cursor. */
export async function listDeliveries(
  db: Queryable,
  appId: string,
  filter: DeliveryFilter,
  page: { limit: number; from?: PageKey },
): Promise<DeliverySummaryRow[]> {
  const params: unknown[] = [appId];
  const where = ['app_id = $1'];
  const add = (clause: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  // Only the filters given become clauses, so each query can use the index that fits it (see 0005_delivery_log.sql).
  if (filter.webhookId !== undefined) add((p) => `webhook_id = ${p}`, filter.webhookId);
  if (filter.status !== undefined) add((p) => `status = ${p}`, filter.status);
  if (filter.eventType !== undefined) add((p) => `event_type = ${p}`, filter.eventType);
  if (filter.conversationId !== undefined) add((p) => `conversation_id = ${p}`, filter.conversationId);
  if (filter.since !== undefined) add((p) => `created_at >= ${p}::timestamptz`, filter.since);
  if (filter.until !== undefined) add((p) => `created_at < ${p}::timestamptz`, filter.until);
  if (page.from) {
    params.push(page.from.at, page.from.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::text)`);
  }
  params.push(page.limit);
  const { rows } = await db.query<DeliverySummaryRow>(
    `SELECT id, webhook_id, event_id, event_type, condition_id, conversation_id, workflow_id, is_test, status,
       attempt_count, last_status_code, last_error, next_attempt_at, created_at, updated_at, completed_at,
       ${EXACT_CREATED_AT} AS cursor_at
     FROM deliveries
     WHERE ${where.join(' AND ')}
     ORDER BY created_at DESC, id DESC
     LIMIT $${params.length}`,
    params,
  );
  return rows;
}

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
