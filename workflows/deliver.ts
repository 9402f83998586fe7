/**
 * Carrying out one delivery, attempt by attempt: used by chat-event workflows, replays and recoveries. Waiting
 * between attempts is a durable timer, cut short when the webhook is deleted or disabled meanwhile.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';

import type { Activities } from '../activities';
import { type AttemptResult, busyWaitDelay, type DeliverySummary, type PreparedDelivery } from '../src/domain/delivery';
import { webhooksChanged } from '../src/temporal/contracts';
import { workflowRandom } from './runtime';

/**
 * Follows webhooksChanged, sent by the API when webhooks are deleted or disabled: their waiting deliveries try once
 * more now, and end.
 */
export function trackChangedWebhooks(): Set<string> {
  const changed = new Set<string>();
  setHandler(webhooksChanged, (ids) => ids.forEach((id) => changed.add(id)));
  return changed;
}

/** Activity options for one delivery's attempts: the HTTP timeout plus room for the database work around it. */
function attemptActivities(delivery: PreparedDelivery) {
  return proxyActivities<Activities>({
    startToCloseTimeout: delivery.timeoutMs + 15_000,
    summary: `deliver to webhook ${delivery.webhookId}`,
    // These retries cover a crashed worker or an unreachable database, not the receiver's answers: those come back
    // as values and are retried on the delivery schedule below.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
  });
}

/**
 * The fast path's first attempt: the same activity, run inside the workflow task that prepared the delivery, so a
 * delivery that succeeds at once costs the engine no activity task and no second workflow task. The SDK heartbeats
 * the held workflow task while the receiver answers. One try only: whatever goes wrong inside the worker (the
 * database, a timeout, a crash of the local attempt) is left to the durable path, whose activity retries it and whose
 * at-least-once guard finds an attempt that was recorded before the failure.
 */
function firstAttemptActivities(delivery: PreparedDelivery) {
  return proxyLocalActivities<Activities>({
    startToCloseTimeout: delivery.timeoutMs + 15_000,
    retry: { maximumAttempts: 1 },
  });
}

/**
 * Makes a delivery's first attempt inside the current workflow task. Undefined when the attempt could not be made
 * there; carryOut then makes it as an activity.
 */
export async function firstAttemptLocally(delivery: PreparedDelivery): Promise<AttemptResult | undefined> {
  const { deliverWebhook } = firstAttemptActivities(delivery);
  const first = delivery.firstAttempt ?? 1;
  try {
    return await deliverWebhook({
      deliveryId: delivery.deliveryId,
      attempt: first,
      retryIndex: 0,
      timeoutMs: delivery.timeoutMs,
      retryScheduleMs: delivery.retryScheduleMs,
    });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    return undefined;
  }
}

/** A finished delivery's line in the event's result. */
export function summaryOf(delivery: PreparedDelivery, result: AttemptResult & { kind: 'final' }): DeliverySummary {
  return {
    ...summaryBase(delivery),
    status: result.status,
    attempts: result.attempt,
    statusCode: result.statusCode,
    error: result.error,
  };
}

function summaryBase(delivery: PreparedDelivery) {
  return {
    deliveryId: delivery.deliveryId,
    webhookId: delivery.webhookId,
    ...(delivery.conditionId ? { conditionId: delivery.conditionId } : {}),
  };
}

/**
 * Carries a delivery through to its end. `begun` is the result of a first attempt already made inside the workflow
 * task (firstAttemptLocally): the loop takes it up as if its own activity had returned it.
 */
export async function carryOut(
  appId: string,
  delivery: PreparedDelivery,
  changed: Set<string>,
  begun?: AttemptResult,
): Promise<DeliverySummary> {
  const { deliverWebhook, notifyWebhookDisabled, finishDelivery } = attemptActivities(delivery);
  let busyWaits = 0;
  // A replay continues the delivery's attempt numbers; its schedule starts afresh.
  const first = delivery.firstAttempt ?? 1;
  for (let attempt = first; ;) {
    let result: AttemptResult;
    if (begun) {
      result = begun;
      begun = undefined;
    } else {
      try {
        result = await deliverWebhook({
          deliveryId: delivery.deliveryId,
          attempt,
          retryIndex: attempt - first,
          timeoutMs: delivery.timeoutMs,
          retryScheduleMs: delivery.retryScheduleMs,
        });
      } catch (error) {
        // One delivery that cannot go on must not sink its siblings: it is summarised as failed, with the cause.
        if (!(error instanceof ActivityFailure)) throw error;
        const cause = error.cause;
        const reason =
          cause instanceof ApplicationFailure && cause.type ? cause.type : (cause?.message ?? error.message);
        // The log must not show it pending forever; if the database is what failed, this may fail too, and that is all.
        await finishDelivery({ deliveryId: delivery.deliveryId, reason }).catch(() => undefined);
        return { ...summaryBase(delivery), status: 'failed', attempts: attempt - 1, statusCode: null, error: reason };
      }
    }
    switch (result.kind) {
      case 'final':
        if (result.disabled) {
          // The owner hears of it; a failed notification does not change the delivery's outcome.
          await notifyWebhookDisabled({ appId, webhookId: delivery.webhookId, reason: result.disabled.reason }).catch(
            () => undefined,
          );
        }
        return summaryOf(delivery, result);
      case 'busy':
        // The endpoint is at its in-flight limit: wait and ask again, without using up an attempt.
        await condition(() => changed.has(delivery.webhookId), busyWaitDelay(busyWaits++, workflowRandom()));
        break;
      case 'retry':
        attempt++;
        busyWaits = 0;
        // Wait for the retry delay, or less if the webhook is deleted or disabled meanwhile: the next attempt then
        // sees that and ends the delivery without sending.
        changed.delete(delivery.webhookId);
        await condition(() => changed.has(delivery.webhookId), result.retryInMs);
        break;
      default: {
        const unreachable: never = result;
        throw new Error(`unhandled attempt result ${JSON.stringify(unreachable)}`);
      }
    }
  }
}
