import type { ConditionsSummary } from './conditions';

/**
 * Delivery outcomes shared by activities, workflows and the API. Pure code: workflows import it.
 */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'skipped';

/** A delivery the workflow must carry out: one event to one webhook. */
export interface PreparedDelivery {
  deliveryId: string;
  webhookId: string;
  /** Set for a custom-condition delivery. */
  conditionId?: string;
  /** Time one attempt may take; the activity's own timeout is derived from it. */
  timeoutMs: number;
  /** Delays between attempts; empty means a single attempt (test sends). */
  retryScheduleMs: number[];
  /** The number of the first attempt to make: 1, or for a replay the one after the delivery's last. */
  firstAttempt?: number;
}

/**
 * What one call of the delivery activity ended in:
 * - `final`: the delivery is over (`disabled` says the webhook was just turned off, so its owner must be told);
 * - `retry`: the attempt failed, and the next one is due after `retryInMs`;
 * - `busy`: the endpoint already has its maximum of requests in flight; nothing was sent and the attempt is not used.
 */
export type AttemptResult =
  | {
      kind: 'final';
      status: Exclude<DeliveryStatus, 'pending'>;
      attempt: number;
      statusCode: number | null;
      error: string | null;
      disabled?: { reason: string };
    }
  | { kind: 'retry'; attempt: number; statusCode: number | null; error: string | null; retryInMs: number }
  | { kind: 'busy' };

/** What preparing an event gave: deliveries to carry out, and those recorded as skipped (disabled webhooks). */
export interface PreparedEvent {
  deliveries: PreparedDelivery[];
  skipped: DeliverySummary[];
}

export interface DeliverySummary {
  deliveryId: string;
  webhookId: string;
  conditionId?: string;
  status: Exclude<DeliveryStatus, 'pending'>;
  attempts: number;
  statusCode: number | null;
  error: string | null;
}

export interface ChatEventResult {
  appId: string;
  eventId: string;
  deliveries: DeliverySummary[];
  /** Present when the event had conditions to judge. */
  conditions?: ConditionsSummary;
}

/** ±20% jitter keeps many deliveries that failed together from retrying together. */
export function withJitter(delayMs: number, random: number): number {
  return Math.round(delayMs * (0.8 + 0.4 * random));
}

/** The longest a receiver's Retry-After can hold a delivery back. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * The wait before the next attempt: the schedule's delay with jitter, or the receiver's Retry-After (429 and 503 only)
 * when that is longer, capped at 24 hours.
 */
export function nextRetryDelay(scheduleDelayMs: number, random: number, retryAfterMs?: number): number {
  const scheduled = withJitter(scheduleDelayMs, random);
  return retryAfterMs === undefined ? scheduled : Math.max(scheduled, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  // An HTTP date has a weekday or month name and a time of day; anything else (say "-5", which Date.parse reads as a
  // year) is not one.
  if (!/[A-Za-z]{3}/.test(trimmed) || !/\d{1,2}:\d{2}:\d{2}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** How long to wait for a busy endpoint: 1 s, doubling per wait, at most 30 s, ±20%. */
export function busyWaitDelay(waits: number, random: number): number {
  return withJitter(Math.min(1_000 * 2 ** waits, 30_000), random);
}

/** What one attempt's send came to, as the decision needs it. */
export interface AttemptOutcome {
  /** The receiver's HTTP status; null when no answer arrived. */
  statusCode: number | null;
  /** Why no answer arrived (`timeout`, `dns`, …, or `blocked_destination`: the policy refused the address). */
  errorClass: string | null;
  /** The receiver's Retry-After, in ms from now (429 and 503 only count). */
  retryAfterMs?: number;
}

/**
 * The decision after an attempt:
 * - `succeeded`: a 2xx;
 * - `gone`: the receiver answered 410 (Zapier does when a Zap is turned off), so the webhook is disabled;
 * - `blocked`: the destination policy refused the address; sending again cannot help;
 * - `retry`: the next attempt is due after `inMs`;
 * - `exhausted`: the schedule has no attempt left.
 */
export type AttemptDecision =
  | { kind: 'succeeded' }
  | { kind: 'gone' }
  | { kind: 'blocked' }
  | { kind: 'retry'; inMs: number }
  | { kind: 'exhausted' };

/**
 * Decides what follows an attempt. `attemptIndex` counts the attempts this run made before this one (0 for its
 * first): a replay starts its schedule afresh. `random` gives a number in [0, 1) for the jitter; it is called only
 * for a retry.
 */
export function decideAfterAttempt(
  outcome: AttemptOutcome,
  retryScheduleMs: readonly number[],
  attemptIndex: number,
  random: () => number,
): AttemptDecision {
  const code = outcome.statusCode;
  if (code !== null && code >= 200 && code < 300) return { kind: 'succeeded' };
  if (code === 410) return { kind: 'gone' };
  if (outcome.errorClass === 'blocked_destination') return { kind: 'blocked' };
  const delay = retryScheduleMs[attemptIndex];
  if (delay === undefined) return { kind: 'exhausted' };
  const retryAfterMs = code === 429 || code === 503 ? outcome.retryAfterMs : undefined;
  return { kind: 'retry', inMs: nextRetryDelay(delay, random(), retryAfterMs) };
}
