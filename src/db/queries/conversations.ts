import type { ChatEvent } from '../../domain/events';
import type { Queryable } from '../pool';

/**
 * Notes a message in a conversation: its idle clock restarts now. Says whether the conversation's idle timer still
 * has to be started, whether the conversation has already ended (then nothing more is timed), and how long it had
 * been quiet before this message (null for its first).
 */
export async function noteConversationMessage(
  db: Queryable,
  c: { appId: string; conversationId: string; user: ChatEvent['user']; userKey?: string | null },
): Promise<{ timerArmed: boolean; ended: boolean; quietForMs: number | null }> {
  const { rows } = await db.query<{ timer_armed: boolean; ended: boolean; quiet_for_ms: number | null }>(
    `WITH before AS (SELECT last_message_at FROM conversations WHERE app_id = $1 AND conversation_id = $2)
     INSERT INTO conversations (app_id, conversation_id, last_message_at, last_user, user_key) VALUES ($1, $2, now(), $3, $4)
     ON CONFLICT (app_id, conversation_id) DO UPDATE SET
       last_message_at = GREATEST(conversations.last_message_at, EXCLUDED.last_message_at),
       last_user = COALESCE(EXCLUDED.last_user, conversations.last_user),
       user_key = COALESCE(EXCLUDED.user_key, conversations.user_key)
     RETURNING timer_armed, ended_at IS NOT NULL AS ended,
       (SELECT EXTRACT(EPOCH FROM (now() - last_message_at)) * 1000 FROM before) AS quiet_for_ms`,
    [c.appId, c.conversationId, c.user ?? null, c.userKey ?? null],
  );
  const row = rows[0]!;
  return {
    timerArmed: row.timer_armed,
    ended: row.ended,
    quietForMs: row.quiet_for_ms === null ? null : Number(row.quiet_for_ms),
  };
}

export async function markConversationTimerArmed(db: Queryable, appId: string, conversationId: string): Promise<void> {
  await db.query('UPDATE conversations SET timer_armed = true WHERE app_id = $1 AND conversation_id = $2', [
    appId,
    conversationId,
  ]);
}

/**
 * The conversation ended (an explicit conversation_end, or the idle end's own event). Returns whether an idle timer
 * may still be running: not when the idle timer ended it, and maybe for a conversation without a row (one from before
 * conversation clocks, timed by signals alone).
 */
export async function endConversationByBackend(
  db: Queryable,
  appId: string,
  conversationId: string,
): Promise<{ timerMayRun: boolean }> {
  const { rows } = await db.query<{ timer_armed: boolean; ended_by_before: string | null }>(
    `UPDATE conversations c SET ended_at = COALESCE(c.ended_at, now()), ended_by = COALESCE(c.ended_by, 'backend')
     FROM (SELECT ended_by FROM conversations WHERE app_id = $1 AND conversation_id = $2 FOR UPDATE) before
     WHERE c.app_id = $1 AND c.conversation_id = $2
     RETURNING c.timer_armed, before.ended_by AS ended_by_before`,
    [appId, conversationId],
  );
  const row = rows[0];
  return { timerMayRun: row ? row.timer_armed && row.ended_by_before !== 'idle' : true };
}

export type IdleCheck =
  { kind: 'idle'; user: ChatEvent['user'] | null } | { kind: 'active'; idleInMs: number } | { kind: 'ended' };

/**
 * The idle timer fired: has the conversation really been quiet for `idleMs`? If so it is ended by idleness, in the same
 * statement, so a message racing in cannot see it open afterwards. Asking again after that answers "idle" again: a
 * retried check must not lose the end it decided. A conversation with no row was tracked by signals alone (before
 * this table existed), and the signals already said it is idle.
 */
export async function checkConversationIdle(
  db: Queryable,
  appId: string,
  conversationId: string,
  idleMs: number,
): Promise<IdleCheck> {
  const { rows } = await db.query<{ last_user: ChatEvent['user'] | null; ended_by: string | null; idle_in_ms: number }>(
    `WITH ended AS (
       UPDATE conversations SET ended_at = now(), ended_by = 'idle'
       WHERE app_id = $1 AND conversation_id = $2 AND ended_at IS NULL
         AND last_message_at <= now() - make_interval(secs => $3::double precision / 1000)
       RETURNING last_user, ended_by, 0::double precision AS idle_in_ms
     )
     SELECT * FROM ended
     UNION ALL
     SELECT last_user, ended_by,
            EXTRACT(EPOCH FROM (last_message_at + make_interval(secs => $3::double precision / 1000) - now())) * 1000
     FROM conversations
     WHERE app_id = $1 AND conversation_id = $2 AND NOT EXISTS (SELECT 1 FROM ended)`,
    [appId, conversationId, idleMs],
  );
  const row = rows[0];
  if (!row || row.ended_by === 'idle') return { kind: 'idle', user: row?.last_user ?? null };
  if (row.ended_by === 'backend') return { kind: 'ended' };
  return { kind: 'active', idleInMs: Math.max(1_000, Math.ceil(Number(row.idle_in_ms))) };
}
