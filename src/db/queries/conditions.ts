import type { WebhookCondition } from '../../domain/conditions';
import type { Queryable } from '../pool';

export interface ActiveCondition extends WebhookCondition {
  webhookId: string;
  /** The webhook's own filter: it gates its conditions as it gates its other events. */
  webhookFilter: string | null;
}

/** Conditions of the app's enabled webhooks that subscribe to custom_condition. */
export async function listActiveConditions(db: Queryable, appId: string): Promise<ActiveCondition[]> {
  const { rows } = await db.query<{ webhook_id: string; filter: string | null; conditions: WebhookCondition[] }>(
    `SELECT id AS webhook_id, filter, conditions FROM webhooks
     WHERE app_id = $1 AND enabled AND 'custom_condition' = ANY(events) ORDER BY created_at, id`,
    [appId],
  );
  return rows.flatMap((r) => r.conditions.map((c) => ({ ...c, webhookId: r.webhook_id, webhookFilter: r.filter })));
}

/** Conditions that other events of this conversation have already fired. */
export async function listConditionsFiredElsewhere(
  db: Queryable,
  appId: string,
  conversationId: string,
  eventId: string,
): Promise<Set<string>> {
  const { rows } = await db.query<{ condition_id: string }>(
    'SELECT condition_id FROM condition_firings WHERE app_id = $1 AND conversation_id = $2 AND event_id <> $3',
    [appId, conversationId, eventId],
  );
  return new Set(rows.map((r) => r.condition_id));
}

/** Adds an event's user message and app response to the conversation; adding them again is a no-op. */
export async function appendTurns(
  db: Queryable,
  t: {
    appId: string;
    conversationId: string;
    eventId: string;
    occurredAt: string;
    message: string | null;
    response: string | null;
    userKey: string | null;
  },
): Promise<void> {
  const turns = [
    ['user', t.message],
    ['assistant', t.response],
  ].filter((turn): turn is [string, string] => typeof turn[1] === 'string' && turn[1].length > 0);
  if (turns.length === 0) return;
  await db.query(
    `INSERT INTO conversation_turns (app_id, conversation_id, event_id, role, text, occurred_at, user_key)
     SELECT $1, $2, $3, role, text, $4, $7 FROM unnest($5::text[], $6::text[]) AS t (role, text)
     ON CONFLICT DO NOTHING`,
    [t.appId, t.conversationId, t.eventId, t.occurredAt, turns.map((x) => x[0]), turns.map((x) => x[1]), t.userKey],
  );
}

/** The most recent `maxTurns` turns up to and including this event, oldest first. */
export async function recentTurns(
  db: Queryable,
  appId: string,
  conversationId: string,
  upTo: string,
  maxTurns: number,
): Promise<Array<{ role: 'user' | 'assistant'; text: string }>> {
  const { rows } = await db.query<{ role: 'user' | 'assistant'; text: string }>(
    `SELECT role, text FROM (
       SELECT role, text, occurred_at, seq FROM conversation_turns
       WHERE app_id = $1 AND conversation_id = $2 AND occurred_at <= $3
       ORDER BY occurred_at DESC, seq DESC LIMIT $4
     ) recent ORDER BY occurred_at, seq`,
    [appId, conversationId, upTo, maxTurns],
  );
  return rows;
}

export interface EvaluationRecord {
  appId: string;
  eventId: string;
  conversationId: string | null;
  workflowId: string;
  outcome: 'evaluated' | 'failed' | 'skipped';
  reason: string | null;
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number | null;
  verdicts: unknown[];
  userKey: string | null;
}

export async function recordEvaluation(db: Queryable, e: EvaluationRecord): Promise<void> {
  await db.query(
    `INSERT INTO condition_evaluations
       (app_id, event_id, conversation_id, workflow_id, outcome, reason, model, prompt_tokens, completion_tokens, latency_ms, verdicts, user_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (app_id, event_id) DO UPDATE SET
       outcome = EXCLUDED.outcome, reason = EXCLUDED.reason, model = EXCLUDED.model, prompt_tokens = EXCLUDED.prompt_tokens,
       completion_tokens = EXCLUDED.completion_tokens, latency_ms = EXCLUDED.latency_ms, verdicts = EXCLUDED.verdicts,
       created_at = now()`,
    [
      e.appId,
      e.eventId,
      e.conversationId,
      e.workflowId,
      e.outcome,
      e.reason,
      e.model,
      e.promptTokens,
      e.completionTokens,
      e.latencyMs,
      JSON.stringify(e.verdicts),
      e.userKey,
    ],
  );
}

export async function findEvaluation(
  db: Queryable,
  appId: string,
  eventId: string,
): Promise<(EvaluationRecord & { created_at: Date }) | undefined> {
  const { rows } = await db.query(
    `SELECT app_id AS "appId", event_id AS "eventId", conversation_id AS "conversationId", workflow_id AS "workflowId", outcome,
            reason, model, prompt_tokens AS "promptTokens", completion_tokens AS "completionTokens", latency_ms AS "latencyMs",
            verdicts, created_at
     FROM condition_evaluations WHERE app_id = $1 AND event_id = $2`,
    [appId, eventId],
  );
  return rows[0];
}

/**
 * Claims a once-per-conversation condition for an event. True when this event holds the claim, including when an
 * earlier try of the same event took it: the claim and the firing are the same event's.
 */
export async function claimFiring(
  db: Queryable,
  appId: string,
  conversationId: string,
  conditionId: string,
  eventId: string,
): Promise<boolean> {
  const { rows } = await db.query<{ event_id: string }>(
    `INSERT INTO condition_firings (app_id, conversation_id, condition_id, event_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (app_id, conversation_id, condition_id) DO UPDATE SET event_id = condition_firings.event_id
     RETURNING event_id`,
    [appId, conversationId, conditionId, eventId],
  );
  return rows[0]?.event_id === eventId;
}

/** Claims the one "Conversation end" of a conversation for an event; true when this event holds it. */
export async function claimConversationEnd(
  db: Queryable,
  appId: string,
  conversationId: string,
  eventId: string,
): Promise<boolean> {
  const { rows } = await db.query<{ event_id: string }>(
    `INSERT INTO conversation_ends (app_id, conversation_id, event_id) VALUES ($1, $2, $3)
     ON CONFLICT (app_id, conversation_id) DO UPDATE SET event_id = conversation_ends.event_id
     RETURNING event_id`,
    [appId, conversationId, eventId],
  );
  return rows[0]?.event_id === eventId;
}
