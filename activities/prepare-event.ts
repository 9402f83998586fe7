/**
 * The first step of every chat event, run as a local activity inside the workflow's first task: note the message in
 * its conversation, record the event's deliveries, say whether custom conditions need judging and, on the fast path,
 * make each delivery's first attempt. Everything here is a few Postgres statements and the signed POSTs (and, on a
 * conversation's first message, one start of its idle timer), so running it locally saves the engine the activity
 * tasks and workflow tasks that separate activities would cost.
 */
import { listActiveConditions } from '../src/db/queries/conditions';
import type { DeliveryTarget } from '../src/db/queries/deliveries';
import type { AttemptResult, PreparedDelivery, PreparedEvent } from '../src/domain/delivery';
import { type ChatEvent, mayNeedJudging } from '../src/domain/events';
import type { Logger } from '../src/logger';
import type { createPrefilterGate } from './conditions';
import type { ConversationActivityDeps, createConversationTracker } from './conversations';
import type { DeliveryAttempts } from './deliver-webhook';
import type { PrepareDeliveryActivities } from './prepare-deliveries';

export interface PreparedEventWithConditions extends PreparedEvent {
  /** The app has custom conditions to judge against this message, and their prefilters let at least one through. */
  judge: boolean;
  /**
   * With `firstAttempts`: the result of each first attempt made here, by delivery id. A delivery without one (its
   * endpoint was already failing, or the attempt could not be made) is the workflow's to attempt as an activity.
   */
  firstResults?: Record<string, AttemptResult>;
}

export interface PrepareEventInput {
  event: ChatEvent;
  workflowId: string;
  /** Make each delivery's first attempt here (workflows since first-attempt-locally). */
  firstAttempts?: boolean;
}

export function createPrepareEventActivity(
  deps: ConversationActivityDeps & { logger: Logger },
  parts: {
    prepareDeliveries: PrepareDeliveryActivities['prepareDeliveries'];
    tracker: ReturnType<typeof createConversationTracker>;
    attempts: DeliveryAttempts;
    conditionsToJudge: ReturnType<typeof createPrefilterGate>;
  },
) {
  /**
   * First attempts, in parallel, at endpoints that were not failing: one that is (a receiver down, or hanging until
   * the timeout) would hold the workflow task for nothing, so its deliveries take the durable path from the start.
   * Whatever goes wrong in an attempt is left to that path too: its activity retries, and finds an attempt recorded
   * here, so the receiver is not called again for it.
   */
  async function attemptFirst(
    prepared: PreparedDelivery[],
    targets: Map<string, DeliveryTarget>,
  ): Promise<Record<string, AttemptResult>> {
    const results: Record<string, AttemptResult> = {};
    await Promise.all(
      prepared.map(async (d) => {
        const target = targets.get(d.deliveryId);
        if (!target?.webhook || target.webhook.failing_since !== null) return;
        try {
          results[d.deliveryId] = await parts.attempts.attempt(target, {
            deliveryId: d.deliveryId,
            attempt: d.firstAttempt ?? 1,
            retryIndex: 0,
            timeoutMs: d.timeoutMs,
            retryScheduleMs: d.retryScheduleMs,
          });
        } catch (error) {
          deps.logger.warn(
            { err: error, delivery_id: d.deliveryId, webhook_id: d.webhookId, app_id: target.delivery.app_id },
            'first attempt left to the delivery activity',
          );
        }
      }),
    );
    return results;
  }

  return {
    /** Safe to retry: each part is, and a first attempt already recorded is not made again. */
    async prepareEvent(input: PrepareEventInput): Promise<PreparedEventWithConditions> {
      const { event } = input;
      const judging = mayNeedJudging(event);
      const targets = new Map<string, DeliveryTarget>();
      const [prepared, conditions] = await Promise.all([
        parts.prepareDeliveries({ event, workflowId: input.workflowId }, input.firstAttempts ? targets : undefined),
        judging ? listActiveConditions(deps.db, event.appId) : [],
        parts.tracker.trackConversation(event),
      ]);
      // Prefilters run here too: when none lets a condition through, the judging activity is not even scheduled.
      const judge = await parts.conditionsToJudge(event, conditions);
      if (!input.firstAttempts) return { ...prepared, judge };
      return { ...prepared, judge, firstResults: await attemptFirst(prepared.deliveries, targets) };
    },
  };
}
