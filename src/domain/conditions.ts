/**
 * Custom conditions as stored on a webhook. Pure code: workflows import it.
 */
export interface WebhookCondition {
  id: string;
  /** The natural-language trigger, 1–1000 characters. */
  prompt: string;
  /** `once_per_conversation` (default) or `every_match`. */
  fire: 'once_per_conversation' | 'every_match';
  /** A CEL expression over the event (src/domain/filters.ts): when it is false the LLM is not asked. */
  prefilter?: string | null;
}

/** A condition the judge found met by an event's conversation. */
export interface ConditionMatch {
  webhookId: string;
  conditionId: string;
  prompt: string;
  fire: WebhookCondition['fire'];
  reason: string;
}

/** What the workflow result and the Temporal UI show of an event's condition evaluation. */
export interface ConditionsSummary {
  outcome: 'evaluated' | 'failed' | 'skipped';
  reason: string | null;
  /** `matched` is null for a condition the judge did not answer for ("not evaluated"). */
  verdicts: Array<{ conditionId: string; webhookId: string; matched: boolean | null; reason: string | null }>;
}

export type EvaluationResult = ConditionsSummary & { matches: ConditionMatch[] };
