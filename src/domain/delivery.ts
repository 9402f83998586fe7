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
}

/** What one attempt ended in. `retryInMs` is set when another attempt must follow after that delay. */
export type AttemptResult =
  | { final: true; status: Exclude<DeliveryStatus, 'pending'>; attempt: number; statusCode: number | null; error: string | null }
  | { final: false; attempt: number; statusCode: number | null; error: string | null; retryInMs: number };

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
