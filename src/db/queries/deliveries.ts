import type { DeliveryStatus } from '../../domain/delivery';
import { newId } from '../ids';
import type { Queryable } from '../pool';

export interface DeliveryRow {
  id: string;
  app_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  conversation_id: string | null;
  workflow_id: string;
  /** Null once purged (payload_purged_at) or erased (erased_at). */
  payload: string | null;
  payload_purged_at: Date | null;
  erased_at: Date | null;
  /** HMAC of app id and user id (see src/security/user-key.ts); null before it existed or without a user id. */
  user_key: string | null;
  is_test: boolean;
  /** Empty for an event's own delivery; the condition's id for a custom-condition delivery. */
  condition_id: string;
  status: DeliveryStatus;
  attempt_count: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status_code: number | null;
  error_class: string | null;
  error_message: string | null;
  response_headers: Record<string, string> | null;
  response_excerpt: string | null;
  next_attempt_at: Date | null;
}

/**
 * Creates one pending delivery per target, or returns the ones an earlier run of the same activity created, so a
 * retried activity never makes a second delivery (and a second `webhook-id`) for the same event, webhook and condition.
 */
export async function upsertDeliveries(
  db: Queryable,
  d: {
    appId: string;
    eventId: string;
    eventType: string;
    conversationId: string | null;
    workflowId: string;
    isTest: boolean;
    /** The event's user, as src/security/user-key.ts keys it; null without a user id. */
    userKey: string | null;
    /** One delivery per target: a webhook, and for custom conditions the condition and its own payload. */
    targets: Array<{ webhookId: string; conditionId?: string; payload: string; format?: string }>;
  },
): Promise<DeliveryRow[]> {
  if (d.targets.length === 0) return [];
  // The whole row: a repeated preparation gets each delivery as it now stands, attempts and all.
  const { rows } = await db.query<DeliveryRow>(
    `INSERT INTO deliveries (id, app_id, webhook_id, condition_id, payload, event_id, event_type, conversation_id, workflow_id, is_test, user_key, format)
     SELECT id, $5, webhook_id, condition_id, payload, $6, $7, $8, $9, $10, $11, format
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $12::text[]) AS t (id, webhook_id, condition_id, payload, format)
     ON CONFLICT (app_id, event_id, webhook_id, condition_id) DO UPDATE SET updated_at = deliveries.updated_at
     RETURNING *`,
    [
      d.targets.map(() => newId('msg')),
      d.targets.map((t) => t.webhookId),
      d.targets.map((t) => t.conditionId ?? ''),
      d.targets.map((t) => t.payload),
      d.appId,
      d.eventId,
      d.eventType,
      d.conversationId,
      d.workflowId,
      d.isTest,
      d.userKey,
      d.targets.map((t) => t.format ?? 'standard'),
    ],
  );
  return rows;
}

/**
 * What one attempt needs: the delivery, and its webhook's current URL and secrets (null when the webhook is gone).
 * `previous_secret_encrypted` is set only while a rotation's overlap lasts.
 */
export interface DeliveryTarget {
  delivery: DeliveryRow;
  webhook: {
    url: string;
    secret_encrypted: string;
    previous_secret_encrypted: string | null;
    enabled: boolean;
    /** The endpoint's run of failures, as read with the rest (recordEndpointHealth clears it on a success). */
    failing_since: Date | null;
    /** 'rest_hook': an automation platform's subscription, deleted (not disabled) when its URL answers 410. */
    created_via: 'api' | 'rest_hook';
  } | null;
}

export async function findDeliveryTarget(db: Queryable, deliveryId: string): Promise<DeliveryTarget | undefined> {
  const { rows } = await db.query<
    DeliveryRow & {
      w_url: string | null;
      w_secret: string | null;
      w_previous: string | null;
      w_enabled: boolean | null;
      w_failing_since: Date | null;
      w_created_via: 'api' | 'rest_hook' | null;
    }
  >(
    `SELECT d.*, w.url AS w_url, w.secret_encrypted AS w_secret, w.enabled AS w_enabled, w.failing_since AS w_failing_since,
       w.created_via AS w_created_via,
       CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret_encrypted END AS w_previous
     FROM deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id AND w.app_id = d.app_id
     WHERE d.id = $1`,
    [deliveryId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { w_url, w_secret, w_previous, w_enabled, w_failing_since, w_created_via, ...delivery } = row;
  return {
    delivery,
    webhook:
      w_url !== null && w_secret !== null
        ? {
            url: w_url,
            secret_encrypted: w_secret,
            previous_secret_encrypted: w_previous,
            enabled: w_enabled ?? false,
            failing_since: w_failing_since,
            created_via: w_created_via ?? 'api',
          }
        : null,
  };
}

/** Workflows that still have a delivery waiting for one of these webhooks (or for any webhook of the app). */
export async function listPendingWorkflowIds(db: Queryable, appId: string, webhookIds?: string[]): Promise<string[]> {
  const { rows } = await db.query<{ workflow_id: string }>(
    `SELECT DISTINCT workflow_id FROM deliveries
     WHERE app_id = $1 AND status = 'pending' AND ($2::text[] IS NULL OR webhook_id = ANY($2))`,
    [appId, webhookIds ?? null],
  );
  return rows.map((r) => r.workflow_id);
}

/**
 * Records one attempt and the delivery's new state together, and says whether it did. Only a delivery that is still
 * pending and has not yet recorded a later attempt takes the record: a stale execution (an activity Temporal already
 * retried or gave up on, finishing late) leaves neither an attempt row nor a state change behind. Recording the same
 * attempt twice (an activity retried after the database write but before Temporal heard of it) keeps the later record.
 */
export async function recordAttempt(
  db: Queryable,
  a: Omit<AttemptRow, 'response_headers'> & { response_headers: Record<string, string> | null; status: DeliveryStatus },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH delivery AS (
       UPDATE deliveries SET
         status = $11, attempt_count = $2, last_status_code = $5,
         last_error = CASE WHEN $6::text IS NULL THEN NULL ELSE $6 || ': ' || $7 END,
         next_attempt_at = $10, updated_at = now(),
         completed_at = CASE WHEN $11 = 'pending' THEN NULL ELSE now() END
       WHERE id = $1 AND status = 'pending' AND attempt_count <= $2
       RETURNING id
     )
     INSERT INTO delivery_attempts
       (delivery_id, attempt, started_at, duration_ms, status_code, error_class, error_message, response_headers, response_excerpt, next_attempt_at)
     SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM delivery
     ON CONFLICT (delivery_id, attempt) DO UPDATE SET
       started_at = EXCLUDED.started_at, duration_ms = EXCLUDED.duration_ms, status_code = EXCLUDED.status_code,
       error_class = EXCLUDED.error_class, error_message = EXCLUDED.error_message,
       response_headers = EXCLUDED.response_headers, response_excerpt = EXCLUDED.response_excerpt,
       next_attempt_at = EXCLUDED.next_attempt_at`,
    [
      a.delivery_id,
      a.attempt,
      a.started_at,
      a.duration_ms,
      a.status_code,
      a.error_class,
      a.error_message,
      a.response_headers,
      a.response_excerpt,
      a.next_attempt_at,
      a.status,
    ],
  );
  return (rowCount ?? 0) > 0;
}

/** Ends a delivery without an attempt (its webhook was deleted or disabled before it could be sent). */
export async function finishDeliveryWithoutAttempt(
  db: Queryable,
  id: string,
  status: Exclude<DeliveryStatus, 'pending' | 'succeeded'>,
  reason: string,
): Promise<boolean> {
  // Only a pending delivery: one that a late execution already finished keeps its outcome.
  const { rowCount } = await db.query(
    `UPDATE deliveries SET status = $2, last_error = $3, next_attempt_at = NULL, updated_at = now(), completed_at = now()
     WHERE id = $1 AND status = 'pending'`,
    [id, status, reason],
  );
  return (rowCount ?? 0) > 0;
}

export async function findDelivery(db: Queryable, appId: string, id: string): Promise<DeliveryRow | undefined> {
  const { rows } = await db.query<DeliveryRow>('SELECT * FROM deliveries WHERE app_id = $1 AND id = $2', [appId, id]);
  return rows[0];
}

export async function listDeliveriesForEvent(db: Queryable, appId: string, eventId: string): Promise<DeliveryRow[]> {
  const { rows } = await db.query<DeliveryRow>(
    'SELECT * FROM deliveries WHERE app_id = $1 AND event_id = $2 ORDER BY created_at, id',
    [appId, eventId],
  );
  return rows;
}

export async function listAttempts(db: Queryable, deliveryId: string): Promise<AttemptRow[]> {
  const { rows } = await db.query<AttemptRow>(
    'SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt',
    [deliveryId],
  );
  return rows;
}

/**
 * Puts a finished delivery back to pending for a replay, and returns what the replay needs: the number of the next
 * attempt and the webhook's current settings. Undefined when the delivery or its webhook no longer exists, or its
 * payload was purged or erased (the replay route refuses those first; this covers a purge in between).
 */
export async function reopenDelivery(
  db: Queryable,
  appId: string,
  deliveryId: string,
): Promise<
  | {
      webhook_id: string;
      condition_id: string;
      next_attempt: number;
      retry_schedule_ms: number[] | null;
      timeout_ms: number | null;
    }
  | undefined
> {
  const { rows } = await db.query(
    `UPDATE deliveries d SET status = 'pending', completed_at = NULL, next_attempt_at = NULL, updated_at = now()
     FROM webhooks w
     WHERE d.app_id = $1 AND d.id = $2 AND w.id = d.webhook_id AND w.app_id = d.app_id AND d.payload IS NOT NULL
     RETURNING d.webhook_id, d.condition_id, d.attempt_count + 1 AS next_attempt, w.retry_schedule_ms, w.timeout_ms`,
    [appId, deliveryId],
  );
  return rows[0];
}

/**
 * Failed and skipped deliveries of a webhook created in [since, until), oldest first, after a (created_at, id) cursor.
 * Those whose payload was purged or erased are left out (and out of the count): there is nothing to send again.
 */
export async function listRecoverableDeliveries(
  db: Queryable,
  q: {
    appId: string;
    webhookId: string;
    since: Date;
    until: Date;
    after?: { createdAt: Date; id: string };
    limit: number;
  },
): Promise<Array<{ id: string; created_at: Date }>> {
  const { rows } = await db.query<{ id: string; created_at: Date }>(
    `SELECT id, created_at FROM deliveries
     WHERE app_id = $1 AND webhook_id = $2 AND status IN ('failed', 'skipped') AND NOT is_test AND payload IS NOT NULL
       AND created_at >= $3 AND created_at < $4
       AND ($5::timestamptz IS NULL OR (created_at, id) > ($5::timestamptz, $6::text))
     ORDER BY created_at, id LIMIT $7`,
    [q.appId, q.webhookId, q.since, q.until, q.after?.createdAt ?? null, q.after?.id ?? null, q.limit],
  );
  return rows;
}

export async function countRecoverableDeliveries(
  db: Queryable,
  q: { appId: string; webhookId: string; since: Date; until: Date },
): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM deliveries
     WHERE app_id = $1 AND webhook_id = $2 AND status IN ('failed', 'skipped') AND NOT is_test AND payload IS NOT NULL
       AND created_at >= $3 AND created_at < $4`,
    [q.appId, q.webhookId, q.since, q.until],
  );
  return rows[0]!.n;
}

export async function findDeliveryApp(db: Queryable, deliveryId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ app_id: string }>('SELECT app_id FROM deliveries WHERE id = $1', [deliveryId]);
  return rows[0]?.app_id;
}

/**
 * The app's most recent real payloads of an event type, exactly as they were sent: standard-format deliveries that
 * were attempted (not test sends, not skipped, payload not purged), one per event (and condition), newest first.
 */
export async function listSamplePayloads(db: Queryable, appId: string, type: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ payload: string }>(
    `SELECT payload FROM (
       SELECT DISTINCT ON (event_id, condition_id) payload, created_at FROM deliveries
       WHERE app_id = $1 AND format = 'standard' AND NOT is_test AND payload IS NOT NULL AND attempt_count > 0
         AND (CASE WHEN $2 = 'custom_condition' THEN condition_id <> '' ELSE event_type = $2 AND condition_id = '' END)
         AND created_at > now() - interval '30 days'
       ORDER BY event_id, condition_id, created_at DESC
     ) one_per_event ORDER BY created_at DESC LIMIT $3`,
    [appId, type, limit],
  );
  return rows.map((r) => r.payload);
}
