/**
 * The purge's statements. Each touches at most `limit` rows, picked by a bounded sub-select, so no statement holds
 * locks for long, and each returns how many rows it touched; the caller repeats it until that falls below the limit.
 * A pending delivery (waiting for an attempt, or reopened by a replay) is never touched, nor anything a running
 * workflow still reads.
 */
import type { PurgeStep } from '../../domain/retention';
import type { Queryable } from '../pool';

export interface PurgeCutoffs {
  /** Deliveries' payloads, excerpts, transcripts and evaluation text older than this are deleted. */
  payloadRetentionMs: number;
  /** Rows older than this are deleted. */
  logRetentionMs: number;
}

type Statement = (db: Queryable, c: PurgeCutoffs, limit: number) => Promise<number>;

const CUTOFF = `now() - make_interval(secs => $1::double precision / 1000)`;

async function count(db: Queryable, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql, params);
  return rows[0]?.n ?? 0;
}

const statements: Record<PurgeStep, Statement> = {
  delivery_payloads: (db, c, limit) =>
    count(
      db,
      `WITH batch AS (
         SELECT id FROM deliveries
         WHERE created_at < ${CUTOFF} AND payload_purged_at IS NULL AND status <> 'pending'
         LIMIT $2 FOR UPDATE SKIP LOCKED
       ),
       purged AS (
         UPDATE deliveries d SET payload = NULL, payload_purged_at = now()
         FROM batch WHERE d.id = batch.id AND d.status <> 'pending'
         RETURNING d.id
       ),
       attempts AS (
         UPDATE delivery_attempts SET response_excerpt = NULL, response_headers = NULL
         WHERE delivery_id IN (SELECT id FROM purged) AND (response_excerpt IS NOT NULL OR response_headers IS NOT NULL)
       )
       SELECT count(*)::int AS n FROM purged`,
      [c.payloadRetentionMs, limit],
    ),

  conversation_turns: (db, c, limit) =>
    count(
      db,
      `WITH gone AS (
         DELETE FROM conversation_turns WHERE ctid IN (
           SELECT ctid FROM conversation_turns WHERE recorded_at < ${CUTOFF} LIMIT $2
         ) RETURNING 1
       ) SELECT count(*)::int AS n FROM gone`,
      [c.payloadRetentionMs, limit],
    ),

  evaluation_text: (db, c, limit) =>
    count(
      db,
      `WITH purged AS (
         UPDATE condition_evaluations SET text_purged_at = now(), verdicts = COALESCE(
           (SELECT jsonb_agg(v - 'reason') FROM jsonb_array_elements(verdicts) v), '[]'::jsonb)
         WHERE ctid IN (
           SELECT ctid FROM condition_evaluations
           WHERE created_at < ${CUTOFF} AND text_purged_at IS NULL LIMIT $2
         ) RETURNING 1
       ) SELECT count(*)::int AS n FROM purged`,
      [c.payloadRetentionMs, limit],
    ),

  deliveries: (db, c, limit) =>
    count(
      db,
      // Attempts go with their delivery (ON DELETE CASCADE): a handful per delivery, so the batch stays bounded.
      `WITH gone AS (
         DELETE FROM deliveries WHERE id IN (
           SELECT id FROM deliveries WHERE created_at < ${CUTOFF} AND status <> 'pending'
           LIMIT $2 FOR UPDATE SKIP LOCKED
         ) AND status <> 'pending' RETURNING 1
       ) SELECT count(*)::int AS n FROM gone`,
      [c.logRetentionMs, limit],
    ),

  condition_evaluations: (db, c, limit) =>
    count(
      db,
      `WITH gone AS (
         DELETE FROM condition_evaluations WHERE ctid IN (
           SELECT ctid FROM condition_evaluations WHERE created_at < ${CUTOFF} LIMIT $2
         ) RETURNING 1
       ) SELECT count(*)::int AS n FROM gone`,
      [c.logRetentionMs, limit],
    ),

  events: (db, c, limit) =>
    count(
      db,
      // An event whose delivery is still pending keeps its row: its workflow is still running.
      `WITH gone AS (
         DELETE FROM events WHERE ctid IN (
           SELECT e.ctid FROM events e
           WHERE e.received_at < ${CUTOFF}
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.app_id = e.app_id AND d.event_id = e.event_id AND d.status = 'pending')
           LIMIT $2
         ) RETURNING 1
       ) SELECT count(*)::int AS n FROM gone`,
      [c.logRetentionMs, limit],
    ),

  condition_firings: (db, c, limit) =>
    count(
      db,
      // A claim is what stops a once-per-conversation condition firing again: it goes only with a conversation that
      // has been quiet since the cutoff.
      `WITH gone AS (
         DELETE FROM condition_firings WHERE ctid IN (
           SELECT f.ctid FROM condition_firings f
           WHERE f.fired_at < ${CUTOFF}
             AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.app_id = f.app_id AND v.conversation_id = f.conversation_id
                             AND v.last_message_at >= ${CUTOFF})
           LIMIT $2
         ) RETURNING 1
       ) SELECT count(*)::int AS n FROM gone`,
      [c.logRetentionMs, limit],
    ),

  conversation_ends: (db, c, limit) =>
    count(
      db,
      `WITH gone AS (
         DELETE FROM conversation_ends WHERE ctid IN (
           SELECT x.ctid FROM conversation_ends x
           WHERE x.ended_at < ${CUTOFF}
             AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.app_id = x.app_id AND v.conversation_id = x.conversation_id
                             AND v.last_message_at >= ${CUTOFF})
           LIMIT $2
         ) RETURNING 1
       ) SELECT count(*)::int AS n FROM gone`,
      [c.logRetentionMs, limit],
    ),

  conversations: (db, c, limit) =>
    count(
      db,
      // A conversation whose idle timer may still be waiting keeps its row: the timer reads it when it fires, and
      // a missing row would read as idle.
      `WITH gone AS (
         DELETE FROM conversations WHERE ctid IN (
           SELECT ctid FROM conversations
           WHERE last_message_at < ${CUTOFF} AND (ended_at IS NOT NULL OR NOT timer_armed)
           LIMIT $2
         ) RETURNING 1
       ) SELECT count(*)::int AS n FROM gone`,
      [c.logRetentionMs, limit],
    ),
};

/** Runs one bounded statement of a purge step; returns the rows it touched. */
export async function purgeBatch(
  db: Queryable,
  step: PurgeStep,
  cutoffs: PurgeCutoffs,
  limit: number,
): Promise<number> {
  return statements[step](db, cutoffs, limit);
}
