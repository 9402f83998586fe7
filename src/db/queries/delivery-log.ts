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
