import { EXACT_CREATED_AT, type PageKey } from '../../api/pagination';
import { DEFAULT_PRIVACY, type PrivacySettings } from '../../domain/payload';
import { newId } from '../ids';
import type { Queryable } from '../pool';

export interface AppRow {
  id: string;
  name: string;
  privacy: PrivacySettings;
  api_key_hash: string | null;
  api_key_prefix: string | null;
  /** Where "Webhook disabled" notifications go; null: nowhere. */
  alert_url: string | null;
  /** Portal sessions issued under an earlier epoch are revoked. */
  portal_epoch: number;
  /** Events per second the events API accepts for this app; null: APP_MAX_EVENTS_PER_SECOND, or no limit. */
  max_events_per_second: number | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertApp(
  db: Queryable,
  input: {
    name: string;
    privacy?: Partial<PrivacySettings>;
    alertUrl?: string | null;
    maxEventsPerSecond?: number | null;
    apiKeyHash: string;
    apiKeyPrefix: string;
  },
): Promise<AppRow> {
  const privacy = { ...DEFAULT_PRIVACY, ...input.privacy };
  const { rows } = await db.query<AppRow>(
    `INSERT INTO apps (id, name, privacy, alert_url, api_key_hash, api_key_prefix, max_events_per_second)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [
      newId('app'),
      input.name,
      privacy,
      input.alertUrl ?? null,
      input.apiKeyHash,
      input.apiKeyPrefix,
      input.maxEventsPerSecond ?? null,
    ],
  );
  return rows[0]!;
}

export async function findApp(db: Queryable, id: string): Promise<AppRow | undefined> {
  const { rows } = await db.query<AppRow>('SELECT * FROM apps WHERE id = $1', [id]);
  return rows[0];
}

export async function findAppByKeyHash(db: Queryable, hash: string): Promise<AppRow | undefined> {
  const { rows } = await db.query<AppRow>('SELECT * FROM apps WHERE api_key_hash = $1', [hash]);
  return rows[0];
}

/** Apps oldest first after the (created_at, id) cursor; `onlyId` narrows the list to one app (an app key's view). */
export async function listApps(
  db: Queryable,
  page: { limit: number; from?: PageKey; onlyId?: string },
): Promise<Array<AppRow & { cursor_at: string }>> {
  const { rows } = await db.query<AppRow & { cursor_at: string }>(
    `SELECT *, ${EXACT_CREATED_AT} AS cursor_at FROM apps
     WHERE ($1::text IS NULL OR id = $1)
       AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
     ORDER BY created_at, id LIMIT $4`,
    [page.onlyId ?? null, page.from?.at ?? null, page.from?.id ?? null, page.limit],
  );
  return rows;
}

export async function updateApp(
  db: Queryable,
  id: string,
  patch: {
    name?: string;
    privacy?: Partial<PrivacySettings>;
    alertUrl?: string | null;
    maxEventsPerSecond?: number | null;
  },
): Promise<AppRow | undefined> {
  const { rows } = await db.query<AppRow>(
    `UPDATE apps SET name = COALESCE($2, name), privacy = privacy || $3::jsonb,
       alert_url = CASE WHEN $4::boolean THEN $5 ELSE alert_url END,
       max_events_per_second = CASE WHEN $6::boolean THEN $7::integer ELSE max_events_per_second END,
       updated_at = now()
     WHERE id = $1 RETURNING *`,
    [
      id,
      patch.name ?? null,
      patch.privacy ?? {},
      'alertUrl' in patch,
      patch.alertUrl ?? null,
      patch.maxEventsPerSecond !== undefined,
      patch.maxEventsPerSecond ?? null,
    ],
  );
  return rows[0];
}

/** Replaces the app's key; the old one stops working at once. */
export async function replaceAppKey(
  db: Queryable,
  id: string,
  hash: string,
  prefix: string,
): Promise<AppRow | undefined> {
  const { rows } = await db.query<AppRow>(
    'UPDATE apps SET api_key_hash = $2, api_key_prefix = $3, updated_at = now() WHERE id = $1 RETURNING *',
    [id, hash, prefix],
  );
  return rows[0];
}

/**
 * Deletes the app and (by cascade) its webhooks, with its conversations' transcripts and clocks in the same statement:
 * message contents kept only for judging conditions have no reason to outlive the app. The delivery log is kept: it
 * has no foreign key to either.
 */
export async function deleteApp(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH turns AS (DELETE FROM conversation_turns WHERE app_id = $1),
          clocks AS (DELETE FROM conversations WHERE app_id = $1)
     DELETE FROM apps WHERE id = $1`,
    [id],
  );
  return (rowCount ?? 0) > 0;
}

/** Revokes every portal session of the app: tokens carry the epoch they were issued in. Answers the new epoch. */
export async function bumpPortalEpoch(db: Queryable, id: string): Promise<number | undefined> {
  const { rows } = await db.query<{ portal_epoch: number }>(
    'UPDATE apps SET portal_epoch = portal_epoch + 1 WHERE id = $1 RETURNING portal_epoch',
    [id],
  );
  return rows[0]?.portal_epoch;
}
