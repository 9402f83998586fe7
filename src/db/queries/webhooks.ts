import { EXACT_CREATED_AT, type PageKey } from '../../api/pagination';
import type { WebhookCondition } from '../../domain/conditions';
import type { WebhookEventType } from '../../domain/events';
import type { WebhookFormat } from '../../domain/formats';
import { newId } from '../ids';
import type { Queryable } from '../pool';

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
  /** Null: the service-wide RETRY_SCHEDULE and DELIVERY_TIMEOUT_MS. */
  retry_schedule_ms: number[] | null;
  timeout_ms: number | null;
  /** A CEL expression over the event (src/domain/filters.ts); null: every event. */
  filter: string | null;
  format: WebhookFormat;
  /** 'rest_hook': made by an automation platform's subscribe call, and deleted when its URL answers 410. */
  created_via: 'api' | 'rest_hook';
  /** Start of the current run of failed attempts; null after any success. */
  failing_since: Date | null;
  disabled_at: Date | null;
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
    retryScheduleMs: number[] | null;
    timeoutMs: number | null;
    /** Defaults: no filter, the standard format, made through the webhooks API. */
    filter?: string | null;
    format?: WebhookFormat;
    createdVia?: WebhookRow['created_via'];
  },
): Promise<WebhookRow> {
  const { rows } = await db.query<WebhookRow>(
    `INSERT INTO webhooks (id, app_id, url, description, events, conditions, secret_encrypted, enabled, retry_schedule_ms, timeout_ms, filter, format, created_via)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
    [
      newId('wh'),
      input.appId,
      input.url,
      input.description,
      input.events,
      JSON.stringify(input.conditions),
      input.secretEncrypted,
      input.enabled,
      input.retryScheduleMs,
      input.timeoutMs,
      input.filter ?? null,
      input.format ?? 'standard',
      input.createdVia ?? 'api',
    ],
  );
  return rows[0]!;
}

/** Webhooks of an app, oldest first, after the (created_at, id) cursor when one is given. */
export async function listWebhooks(
  db: Queryable,
  appId: string,
  page: { limit: number; from?: PageKey },
): Promise<Array<WebhookRow & { cursor_at: string }>> {
  const { rows } = await db.query<WebhookRow & { cursor_at: string }>(
    `SELECT *, ${EXACT_CREATED_AT} AS cursor_at FROM webhooks
     WHERE app_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
     ORDER BY created_at, id LIMIT $4`,
    [appId, page.from?.at ?? null, page.from?.id ?? null, page.limit],
  );
  return rows;
}

export async function findWebhook(db: Queryable, appId: string, id: string): Promise<WebhookRow | undefined> {
  const { rows } = await db.query<WebhookRow>('SELECT * FROM webhooks WHERE app_id = $1 AND id = $2', [appId, id]);
  return rows[0];
}

/** Webhooks of an app that subscribe to an event type, enabled or not. */
export async function listWebhooksForEvent(
  db: Queryable,
  appId: string,
  type: WebhookEventType,
): Promise<WebhookRow[]> {
  const { rows } = await db.query<WebhookRow>(
    'SELECT * FROM webhooks WHERE app_id = $1 AND $2 = ANY(events) ORDER BY created_at, id',
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
  /** null resets to the service-wide default. */
  retryScheduleMs?: number[] | null;
  timeoutMs?: number | null;
  /** null removes the filter. */
  filter?: string | null;
  format?: WebhookFormat;
}

/** Applies the fields present in `patch`. Turning a webhook on clears the reason it was turned off. */
export async function updateWebhook(
  db: Queryable,
  appId: string,
  id: string,
  patch: WebhookPatch,
): Promise<WebhookRow | undefined> {
  const { rows } = await db.query<WebhookRow>(
    `UPDATE webhooks SET
       url = COALESCE($3, url),
       description = CASE WHEN $4::boolean THEN $5 ELSE description END,
       events = COALESCE($6, events),
       conditions = COALESCE($7::jsonb, conditions),
       enabled = COALESCE($8, enabled),
       disabled_reason = CASE WHEN $8 IS NULL THEN disabled_reason WHEN $8 THEN NULL ELSE 'disabled by user' END,
       disabled_at = CASE WHEN $8 IS NULL THEN disabled_at WHEN $8 THEN NULL ELSE now() END,
       -- Turned on again: the endpoint gets a fresh health record.
       failing_since = CASE WHEN $8 THEN NULL ELSE failing_since END,
       retry_schedule_ms = CASE WHEN $9::boolean THEN $10::integer[] ELSE retry_schedule_ms END,
       timeout_ms = CASE WHEN $11::boolean THEN $12::integer ELSE timeout_ms END,
       filter = CASE WHEN $13::boolean THEN $14::text ELSE filter END,
       format = COALESCE($15, format),
       updated_at = now()
     WHERE app_id = $1 AND id = $2 RETURNING *`,
    [
      appId,
      id,
      patch.url ?? null,
      'description' in patch,
      patch.description ?? null,
      patch.events ?? null,
      patch.conditions ? JSON.stringify(patch.conditions) : null,
      patch.enabled ?? null,
      'retryScheduleMs' in patch,
      patch.retryScheduleMs ?? null,
      'timeoutMs' in patch,
      patch.timeoutMs ?? null,
      'filter' in patch,
      patch.filter ?? null,
      patch.format ?? null,
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

/**
 * Updates endpoint health after an attempt. A success clears the failure run; a failure starts one, or, when the run
 * has lasted `disableAfterMs`, disables the webhook. `disabledNow` is true only for the attempt that disabled it.
 */
export async function recordEndpointHealth(
  db: Queryable,
  webhookId: string,
  succeeded: boolean,
  disableAfterMs: number,
): Promise<{ disabledNow: boolean; failingSince: Date | null }> {
  if (succeeded) {
    // A healthy endpoint's row is neither locked nor rewritten at every delivery: the update matches no row then.
    await db.query('UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL', [webhookId]);
    return { disabledNow: false, failingSince: null };
  }
  const { rows } = await db.query<{ disabled_now: boolean; failing_since: Date | null }>(
    `WITH before AS (
       SELECT id,
              enabled AND failing_since IS NOT NULL
                AND failing_since <= now() - make_interval(secs => $2 / 1000.0) AS trips
       FROM webhooks WHERE id = $1 FOR UPDATE
     )
     UPDATE webhooks w SET
       failing_since = COALESCE(w.failing_since, now()),
       enabled = w.enabled AND NOT before.trips,
       disabled_reason = CASE WHEN before.trips THEN 'failing' ELSE w.disabled_reason END,
       disabled_at = CASE WHEN before.trips THEN now() ELSE w.disabled_at END
     FROM before WHERE w.id = before.id
     RETURNING before.trips AS disabled_now, w.failing_since`,
    [webhookId, disableAfterMs],
  );
  return { disabledNow: rows[0]?.disabled_now ?? false, failingSince: rows[0]?.failing_since ?? null };
}

/** Disables a webhook for a reason; true when this call turned it off (it was on). */
export async function disableWebhook(db: Queryable, webhookId: string, reason: string): Promise<boolean> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE webhooks SET enabled = false, disabled_reason = $2, disabled_at = now(), updated_at = now()
     WHERE id = $1 AND enabled RETURNING id`,
    [webhookId, reason],
  );
  return rows.length > 0;
}
