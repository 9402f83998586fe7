/**
 * One workflow per chat event: prepare the deliveries, then carry each out in parallel, attempt by attempt, waiting
 * between attempts on durable timers. A worker restart resumes exactly where the history says.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { WEBHOOKS_CHANGED_SIGNAL, type ChatEvent } from '../src/domain/events';
import { busyWaitDelay, type AttemptResult, type ChatEventResult, type DeliverySummary, type PreparedDelivery } from '../src/domain/delivery';
import type { ConditionsSummary } from '../src/domain/conditions';

/** Sent by the API when webhooks are deleted or disabled: their waiting deliveries try once more now, and end. */
export const webhooksChanged = defineSignal<[string[]]>(WEBHOOKS_CHANGED_SIGNAL);

const { prepareDeliveries, prepareConditionDeliveries, touchConversation } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Database trouble is transient: keep trying for a while rather than drop the event.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/** The LLM judge's retry limit; the activity records a failed evaluation on the last attempt instead of throwing. */
const EVALUATION_MAX_ATTEMPTS = 8;
const { evaluateConditions } = proxyActivities<Activities>({
  // Longer than any CONDITIONS_TIMEOUT_MS allows, plus the database work around the call.
  startToCloseTimeout: '3 minutes',
  summary: 'judge custom conditions',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: EVALUATION_MAX_ATTEMPTS },
});

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

function summaryBase(delivery: PreparedDelivery) {
  return {
    deliveryId: delivery.deliveryId,
    webhookId: delivery.webhookId,
    ...(delivery.conditionId ? { conditionId: delivery.conditionId } : {}),
  };
}

async function carryOut(appId: string, delivery: PreparedDelivery, changed: Set<string>): Promise<DeliverySummary> {
  const { deliverWebhook, notifyWebhookDisabled } = attemptActivities(delivery);
  let busyWaits = 0;
  for (let attempt = 1; ; ) {
    let result: AttemptResult;
    try {
      result = await deliverWebhook({
        deliveryId: delivery.deliveryId,
        attempt,
        timeoutMs: delivery.timeoutMs,
        retryScheduleMs: delivery.retryScheduleMs,
      });
    } catch (error) {
      // One delivery that cannot go on must not sink its siblings: it is summarised as failed, with the cause.
      if (!(error instanceof ActivityFailure)) throw error;
      const cause = error.cause;
      const reason = cause instanceof ApplicationFailure && cause.type ? cause.type : (cause?.message ?? error.message);
      return { ...summaryBase(delivery), status: 'failed', attempts: attempt - 1, statusCode: null, error: reason };
    }
    switch (result.kind) {
      case 'final':
        if (result.disabled) {
          // The owner hears of it; a failed notification does not change the delivery's outcome.
          await notifyWebhookDisabled({ appId, webhookId: delivery.webhookId, reason: result.disabled.reason }).catch(() => undefined);
        }
        return { ...summaryBase(delivery), status: result.status, attempts: result.attempt, statusCode: result.statusCode, error: result.error };
      case 'busy':
        // The endpoint is at its in-flight limit: wait and ask again, without using up an attempt.
        await condition(() => changed.has(delivery.webhookId), busyWaitDelay(busyWaits++, Math.random()));
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

/**
 * Judges the event's custom conditions and delivers those that fire. Runs beside the event's own deliveries: a slow
 * or failed evaluation never holds them up, and a failed one fires nothing.
 */
type Judged = { conditions?: ConditionsSummary; deliveries: DeliverySummary[] };

async function judgeAndFire(event: ChatEvent, workflowId: string, changed: Set<string>): Promise<Judged> {
  let evaluation;
  try {
    evaluation = await evaluateConditions({ event, workflowId, maxAttempts: EVALUATION_MAX_ATTEMPTS });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // A refused LLM call (bad key, unknown model): the activity recorded it; nothing fires.
    const cause = error.cause;
    return { conditions: { outcome: 'failed', reason: cause?.message ?? error.message, verdicts: [] }, deliveries: [] };
  }
  if (!evaluation) return { deliveries: [] };
  const { matches, ...conditions } = evaluation;
  if (matches.length === 0) return { conditions, deliveries: [] };
  const prepared = await prepareConditionDeliveries({ event, workflowId, matches });
  return { conditions, deliveries: await Promise.all(prepared.map((d) => carryOut(event.appId, d, changed))) };
}

export async function chatEventWorkflow(event: ChatEvent): Promise<ChatEventResult> {
  const changed = new Set<string>();
  setHandler(webhooksChanged, (webhookIds) => {
    for (const id of webhookIds) changed.add(id);
  });
  const workflowId = workflowInfo().workflowId;
  const judging = event.type === 'message_sent' && event.conversationId && !event.testWebhookId;
  const tracksConversation = (event.type === 'message_sent' || event.type === 'conversation_end') && event.conversationId && !event.testWebhookId;
  const [direct, conditional] = await Promise.all([
    prepareDeliveries({ event, workflowId }).then(async ({ deliveries, skipped }) => [
      ...(await Promise.all(deliveries.map((d) => carryOut(event.appId, d, changed)))),
      ...skipped,
    ]),
    judging ? judgeAndFire(event, workflowId, changed) : Promise.resolve<Judged>({ deliveries: [] }),
    tracksConversation ? touchConversation({ event }) : undefined,
  ]);
  return {
    appId: event.appId,
    eventId: event.eventId,
    deliveries: [...direct, ...conditional.deliveries],
    ...(conditional.conditions ? { conditions: conditional.conditions } : {}),
  };
}
