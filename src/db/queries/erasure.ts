/**
 * Erasing one user of one app, found by user key (src/security/user-key.ts): transcripts, evaluations and conversation
 * clocks go; deliveries stay as metadata with their payloads and excerpts redacted; deliveries still waiting for a
 * retry are ended first, so they are never sent. One transaction, recorded in user_erasures with its counts.
 */
import { type Db, withTransaction } from '../pool';

export interface ErasureCounts {
  deliveries_redacted: number;
  deliveries_ended: number;
  transcripts_deleted: number;
  conversations_ended: number;
  evaluations_deleted: number;
}

export interface ErasureResult {
  counts: ErasureCounts;
  /** The workflows whose deliveries were ended while waiting: told, so they stop waiting now. */
  ended: Array<{ workflow_id: string; webhook_id: string }>;
}

function n(rows: Array<{ n: number }>): number {
  return rows[0]?.n ?? 0;
}

export async function eraseUser(db: Db, appId: string, userKey: string): Promise<ErasureResult> {
  return withTransaction(db, async (client) => {
    // Ended before they are redacted: an attempt racing this finds the delivery finished (its record is refused).
    const ended = await client.query<{ workflow_id: string; webhook_id: string }>(
      `UPDATE deliveries SET status = 'skipped', last_error = 'user erased', next_attempt_at = NULL,
         updated_at = now(), completed_at = now()
       WHERE app_id = $1 AND user_key = $2 AND status = 'pending'
       RETURNING workflow_id, webhook_id`,
      [appId, userKey],
    );
    const redacted = await client.query<{ n: number }>(
      `WITH redacted AS (
         UPDATE deliveries SET payload = NULL, erased_at = now(), updated_at = now()
         WHERE app_id = $1 AND user_key = $2 AND erased_at IS NULL
         RETURNING id
       ),
       attempts AS (
         UPDATE delivery_attempts SET response_excerpt = NULL, response_headers = NULL
         WHERE delivery_id IN (SELECT id FROM redacted)
       )
       SELECT count(*)::int AS n FROM redacted`,
      [appId, userKey],
    );
    const turns = await client.query<{ n: number }>(
      `WITH gone AS (DELETE FROM conversation_turns WHERE app_id = $1 AND user_key = $2 RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [appId, userKey],
    );
    // The clock row stays, ended and without the user, so an idle timer still waiting stops quietly when it fires
    // (a missing row would read as idle and send "Conversation end").
    const conversations = await client.query<{ n: number }>(
      `WITH ended AS (
         UPDATE conversations SET last_user = NULL, user_key = NULL,
           ended_at = COALESCE(ended_at, now()), ended_by = COALESCE(ended_by, 'backend')
         WHERE app_id = $1 AND user_key = $2 RETURNING 1
       ) SELECT count(*)::int AS n FROM ended`,
      [appId, userKey],
    );
    const evaluations = await client.query<{ n: number }>(
      `WITH gone AS (DELETE FROM condition_evaluations WHERE app_id = $1 AND user_key = $2 RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [appId, userKey],
    );
    const counts: ErasureCounts = {
      deliveries_redacted: n(redacted.rows),
      deliveries_ended: ended.rowCount ?? 0,
      transcripts_deleted: n(turns.rows),
      conversations_ended: n(conversations.rows),
      evaluations_deleted: n(evaluations.rows),
    };
    await client.query('INSERT INTO user_erasures (app_id, user_key, counts) VALUES ($1, $2, $3)', [
      appId,
      userKey,
      JSON.stringify(counts),
    ]);
    return { counts, ended: ended.rows };
  });
}
