import type { Queryable } from '../pool';
import { newId } from '../ids';
import type { WebhookEventType } from '../../domain/events';

export interface WebhookRow {
  id: string;
  app_id: string;
  url: string;
  description: string | null;
  events: WebhookEventType[];
  secret_encrypted: string;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertWebhook(
  db: Queryable,
  input: { appId: string; url: string; description: string | null; events: WebhookEventType[]; secretEncrypted: string; enabled: boolean },
): Promise<WebhookRow> {
  const { rows } = await db.query<WebhookRow>(
    `INSERT INTO webhooks (id, app_id, url, description, events, secret_encrypted, enabled)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [newId('wh'), input.appId, input.url, input.description, input.events, input.secretEncrypted, input.enabled],
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
