import type { Queryable } from '../pool';

export type TokenTake = { granted: true } | { granted: false; retryAfterSeconds: number };

/**
 * Takes one token from the app's bucket (capacity and refill rate `perSecond`), in one statement, on the database's
 * clock, so every API process shares the bucket. The row lock of the upsert serialises concurrent takes of one app;
 * a take whose statement started before the last refill counts no negative time. A lowered rate applies at once (the
 * bucket is capped at the current capacity). Refused: how many whole seconds until a token is back (at least 1).
 */
export async function takeEventToken(db: Queryable, appId: string, perSecond: number): Promise<TokenTake> {
  const { rows } = await db.query<{ granted: boolean; tokens: number }>(
    `INSERT INTO app_event_buckets AS b (app_id, tokens, refilled_at, granted)
     VALUES ($1, $2::float8 - 1, now(), true)
     ON CONFLICT (app_id) DO UPDATE SET
       granted = LEAST($2::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.refilled_at)) * $2::float8) >= 1,
       tokens = LEAST($2::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.refilled_at)) * $2::float8)
         - CASE WHEN LEAST($2::float8, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.refilled_at)) * $2::float8) >= 1
           THEN 1 ELSE 0 END,
       refilled_at = GREATEST(b.refilled_at, now())
     RETURNING granted, tokens`,
    [appId, perSecond],
  );
  const row = rows[0]!;
  if (row.granted) return { granted: true };
  return { granted: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - row.tokens) / perSecond)) };
}
