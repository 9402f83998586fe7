import type { Queryable } from '../pool';
import { newId } from '../ids';
import type { WebhookEventType } from '../../domain/events';
import type { WebhookCondition } from '../../domain/conditions';

export interface WebhookRow {
  id: string;
  app_id: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  conditions: WebhookCondition[];
  secret_encrypted: string;
  previous_secret_encrypted: string | null;
  previous_secret_expires_at: Date | null;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertWebhook(
  db: Queryable,
  input: {
    appId: string;
    url: string;
    description: string | null;
    events: WebhookEventType[];
    conditions: WebhookCondition[];
    secretEncrypted: string;
    enabled: boolean;
  },
): Promise<WebhookRow> {
  const { rows } = await db.query<WebhookRow>(
    `INSERT INTO webhooks (id, app_id, url, description, events, conditions, secret_encrypted, enabled)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [newId('wh'), input.appId, input.url, input.description, input.events, JSON.stringify(input.conditions), input.secretEncrypted, input.enabled],
  );
  return rows[0]!;
}

/** Webhooks of an app, oldest first, after the (created_at, id) cursor when one is given. */
export async function listWebhooks(
  db: Queryable,
  appId: string,
  page: { limit: number; after?: { createdAt: Date; id: string } },
): Promise<WebhookRow[]> {
  const { rows } = await db.query<WebhookRow>(
    `SELECT * FROM webhooks
     WHERE app_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
     ORDER BY created_at, id LIMIT $4`,
    [appId, page.after?.createdAt ?? null, page.after?.id ?? null, page.limit],
  );
  return rows;
}

export async function findWebhook(db: Queryable, appId: string, id: string): Promise<WebhookRow | undefined> {
  const { rows } = await db.query<WebhookRow>('SELECT * FROM webhooks WHERE app_id = $1 AND id = $2', [appId, id]);
  return rows[0];
}

/** Enabled webhooks of an app that subscribe to an event type. */
export async function listWebhooksForEvent(db: Queryable, appId: string, type: WebhookEventType): Promise<WebhookRow[]> {
  const { rows } = await db.query<WebhookRow>(
    'SELECT * FROM webhooks WHERE app_id = $1 AND enabled AND $2 = ANY(events) ORDER BY created_at, id',
    [appId, type],
  );
  return rows;
}

export interface WebhookPatch {
  url?: string;
  description?: string | null;
  events?: WebhookEventType[];
  conditions?: WebhookCondition[];
  enabled?: boolean;
}

/** Applies the fields present in `patch`. Turning a webhook on clears the reason it was turned off. */
export async function updateWebhook(db: Queryable, appId: string, id: string, patch: WebhookPatch): Promise<WebhookRow | undefined> {
  const { rows } = await db.query<WebhookRow>(
    `UPDATE webhooks SET
       url = COALESCE($3, url),
       description = CASE WHEN $4::boolean THEN $5 ELSE description END,
       events = COALESCE($6, events),
       conditions = COALESCE($7::jsonb, conditions),
       enabled = COALESCE($8, enabled),
       disabled_reason = CASE WHEN $8 IS NULL THEN disabled_reason WHEN $8 THEN NULL ELSE 'disabled by user' END,
       updated_at = now()
     WHERE app_id = $1 AND id = $2 RETURNING *`,
    [
      appId, id, patch.url ?? null, 'description' in patch, patch.description ?? null, patch.events ?? null,
      patch.conditions ? JSON.stringify(patch.conditions) : null, patch.enabled ?? null,
    ],
  );
  return rows[0];
}

/** Makes `newSecretEncrypted` the signing secret; the current one keeps signing beside it until `overlapUntil`. */
export async function rotateWebhookSecret(
  db: Queryable,
  appId: string,
  id: string,
  newSecretEncrypted: string,
  overlapUntil: Date,
): Promise<WebhookRow | undefined> {
  const { rows } = await db.query<WebhookRow>(
    `UPDATE webhooks SET previous_secret_encrypted = secret_encrypted, previous_secret_expires_at = $4,
       secret_encrypted = $3, updated_at = now()
     WHERE app_id = $1 AND id = $2 RETURNING *`,
    [appId, id, newSecretEncrypted, overlapUntil],
  );
  return rows[0];
}

export async function deleteWebhook(db: Queryable, appId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM webhooks WHERE app_id = $1 AND id = $2', [appId, id]);
  return (rowCount ?? 0) > 0;
}

export async function listWebhookIds(db: Queryable, appId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM webhooks WHERE app_id = $1', [appId]);
  return rows.map((r) => r.id);
}
