/**
 * Custom-condition activities: keep the conversation's transcript, and judge all of an app's pending conditions for an
 * event in one LLM call.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';

import type { Db } from '../src/db/pool';
import {
  type ActiveCondition,
  appendTurns,
  listActiveConditions,
  listConditionsFiredElsewhere,
  recentTurns,
  recordEvaluation,
} from '../src/db/queries/conditions';
import type { EvaluationResult } from '../src/domain/conditions';
import { ErrorType } from '../src/domain/errors';
import { type ChatEvent, mayNeedJudging } from '../src/domain/events';
import { evaluateFilter, type FilterContext, filterContext } from '../src/domain/filters';
import { judgeConditions, type LlmClient, type TranscriptTurn } from '../src/llm/judge';
import type { Metrics } from '../src/metrics';
import type { SecretBox } from '../src/security/secret-box';
import { createUserKeyOf } from '../src/security/user-key';

export interface ConditionActivityDeps {
  db: Db;
  /** Undefined when no LLM is configured: evaluations are then recorded as skipped. */
  llm: LlmClient | undefined;
  conditions: { maxTurns: number; maxChars: number };
  metrics: Metrics;
  secrets: SecretBox;
}

/** How often an answer that does not parse is asked again before the evaluation is recorded as failed. */
export const MALFORMED_RETRIES = 3;

/** Keeps the newest turns that fit the character budget; the newest turn is kept even if it alone is too long. */
export function trimTranscript(turns: TranscriptTurn[], maxChars: number): TranscriptTurn[] {
  const kept: TranscriptTurn[] = [];
  let used = 0;
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i]!;
    if (kept.length > 0 && used + turn.text.length > maxChars) break;
    kept.unshift(
      kept.length === 0 && turn.text.length > maxChars ? { ...turn, text: turn.text.slice(-maxChars) } : turn,
    );
    used += Math.min(turn.text.length, maxChars);
  }
  return kept;
}

/**
 * Whether the LLM is to be asked about a condition for this event: its webhook's filter and its own prefilter must
 * both hold. Deterministic and cheap (src/domain/filters.ts), so a condition that cannot match costs no LLM call.
 */
export function passesPrefilters(condition: ActiveCondition, context: FilterContext): boolean {
  return [condition.webhookFilter, condition.prefilter].every(
    (expression) => !expression || evaluateFilter(expression, context).matched,
  );
}

/** The event's turns join its conversation's transcript, which later messages are judged against. */
function createTurnNoter(deps: Pick<ConditionActivityDeps, 'db' | 'secrets'>) {
  const userKeyOf = createUserKeyOf(deps.secrets);
  return async (event: ChatEvent & { conversationId: string }): Promise<string | null> => {
    const userKey = userKeyOf(event.appId, event.user?.id);
    await appendTurns(deps.db, {
      appId: event.appId,
      conversationId: event.conversationId,
      eventId: event.eventId,
      occurredAt: event.occurredAt,
      message: event.message,
      response: event.response,
      userKey,
    });
    return userKey;
  };
}

/** prepareEvent's part in judging; not an activity of its own. */
export function createPrefilterGate(deps: Pick<ConditionActivityDeps, 'db' | 'secrets'>) {
  const noteTurns = createTurnNoter(deps);
  /**
   * Whether any of the app's conditions passes its prefilters for this message. When conditions exist but none
   * passes, the message still joins the transcript here, since evaluateConditions will not run for it.
   */
  return async function conditionsToJudge(event: ChatEvent, active: ActiveCondition[]): Promise<boolean> {
    if (active.length === 0 || !event.conversationId) return false;
    const context = filterContext(event);
    if (active.some((c) => passesPrefilters(c, context))) return true;
    await noteTurns({ ...event, conversationId: event.conversationId });
    return false;
  };
}

export function createConditionActivities(deps: ConditionActivityDeps) {
  const noteTurns = createTurnNoter(deps);
  return {
    /**
     * Judges the app's pending conditions for a message_sent event: one LLM call for all of them, none when there is
     * nothing to judge. Conditions that already fired in this conversation (once-per-conversation ones) are not sent
     * again. `maxAttempts` is the workflow's retry limit: on the last attempt a failure is recorded and returned.
     */
    async evaluateConditions(input: {
      event: ChatEvent;
      workflowId: string;
      maxAttempts: number;
    }): Promise<EvaluationResult | null> {
      const { event } = input;
      if (!mayNeedJudging(event) || !event.conversationId) return null;
      const active = await listActiveConditions(deps.db, event.appId);
      // Transcripts are kept only for apps that have conditions to judge them against.
      if (active.length === 0) return null;
      const userKey = await noteTurns({ ...event, conversationId: event.conversationId });
      // Conditions whose prefilters fail for this message are not sent to the LLM: they cannot match it.
      const variables = filterContext(event);
      const gated = active.filter((c) => passesPrefilters(c, variables));
      if (gated.length === 0) return null;
      const fired = await listConditionsFiredElsewhere(deps.db, event.appId, event.conversationId, event.eventId);
      const pending = gated.filter((c) => c.fire === 'every_match' || !fired.has(c.id));
      if (pending.length === 0) return null;

      const base = {
        appId: event.appId,
        eventId: event.eventId,
        conversationId: event.conversationId,
        workflowId: input.workflowId,
        userKey,
      };
      const notEvaluated = pending.map((c) => ({
        conditionId: c.id,
        webhookId: c.webhookId,
        matched: null,
        reason: null,
      }));
      const end = async (
        outcome: 'failed' | 'skipped',
        reason: string,
        extra: { model?: string; latencyMs?: number } = {},
      ) => {
        deps.metrics.conditionEvaluations.inc({ outcome });
        await recordEvaluation(deps.db, {
          ...base,
          outcome,
          reason,
          model: extra.model ?? null,
          promptTokens: null,
          completionTokens: null,
          latencyMs: extra.latencyMs ?? null,
          verdicts: notEvaluated.map((v) => ({
            condition_id: v.conditionId,
            webhook_id: v.webhookId,
            evaluated: false,
          })),
        });
        return { outcome, reason, verdicts: notEvaluated, matches: [] };
      };

      if (!deps.llm) return end('skipped', 'no LLM configured');

      const turns = await recentTurns(
        deps.db,
        event.appId,
        event.conversationId,
        event.occurredAt,
        deps.conditions.maxTurns,
      );
      const transcript = trimTranscript(turns, deps.conditions.maxChars);
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 5_000);
      let outcome;
      try {
        outcome = await judgeConditions(
          deps.llm.client,
          deps.llm.model,
          pending.map((c) => ({ id: c.id, prompt: c.prompt })),
          transcript,
        );
      } finally {
        clearInterval(beat);
      }
      const attempt = context.info.attempt;
      const last = attempt >= input.maxAttempts;

      switch (outcome.kind) {
        case 'verdicts': {
          deps.metrics.conditionEvaluations.inc({ outcome: 'evaluated' });
          if (outcome.promptTokens !== null) deps.metrics.llmTokens.inc({ kind: 'prompt' }, outcome.promptTokens);
          if (outcome.completionTokens !== null)
            deps.metrics.llmTokens.inc({ kind: 'completion' }, outcome.completionTokens);
          const verdicts = pending.map((c) => {
            const v = outcome.verdicts.get(c.id);
            return {
              conditionId: c.id,
              webhookId: c.webhookId,
              matched: v ? v.matched : null,
              reason: v ? v.reason : null,
            };
          });
          await recordEvaluation(deps.db, {
            ...base,
            outcome: 'evaluated',
            reason: null,
            model: outcome.model,
            promptTokens: outcome.promptTokens,
            completionTokens: outcome.completionTokens,
            latencyMs: outcome.latencyMs,
            verdicts: verdicts.map((v) =>
              v.matched === null
                ? { condition_id: v.conditionId, webhook_id: v.webhookId, evaluated: false }
                : { condition_id: v.conditionId, webhook_id: v.webhookId, matched: v.matched, reason: v.reason },
            ),
          });
          const matches = pending
            .filter((c) => outcome.verdicts.get(c.id)?.matched === true)
            .map((c) => ({
              webhookId: c.webhookId,
              conditionId: c.id,
              prompt: c.prompt,
              fire: c.fire,
              reason: outcome.verdicts.get(c.id)!.reason,
            }));
          return { outcome: 'evaluated', reason: null, verdicts, matches };
        }
        case 'retryable':
          if (last) return end('failed', outcome.reason, { model: deps.llm.model, latencyMs: outcome.latencyMs });
          throw ApplicationFailure.create({
            type: ErrorType.LlmUnavailable,
            message: outcome.reason,
            // Honour the server's Retry-After; otherwise the retry policy's backoff applies.
            ...(outcome.retryAfterMs !== undefined ? { nextRetryDelay: outcome.retryAfterMs } : {}),
          });
        case 'malformed':
          if (last || attempt > MALFORMED_RETRIES)
            return end('failed', `LLM output unusable: ${outcome.reason}`, {
              model: deps.llm.model,
              latencyMs: outcome.latencyMs,
            });
          // Asking again soon is enough: a model that drifted from the schema usually keeps to it on the next call.
          throw ApplicationFailure.create({
            type: ErrorType.LlmMalformedOutput,
            message: outcome.reason,
            nextRetryDelay: 1_000,
          });
        case 'permanent':
          await end('failed', outcome.reason, { model: deps.llm.model, latencyMs: outcome.latencyMs });
          throw ApplicationFailure.create({ type: ErrorType.LlmRejected, message: outcome.reason, nonRetryable: true });
        default: {
          const unreachable: never = outcome;
          throw new Error(`unhandled judge outcome ${JSON.stringify(unreachable)}`);
        }
      }
    },
  };
}

export type ConditionActivities = ReturnType<typeof createConditionActivities>;
