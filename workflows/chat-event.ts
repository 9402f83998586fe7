/**
 * One workflow per chat event: prepare the deliveries, then carry each out in parallel, attempt by attempt, waiting
 * between attempts on durable timers. A worker restart resumes exactly where the history says.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ChatEvent } from '../src/domain/events';
import type { ChatEventResult, DeliverySummary, PreparedDelivery } from '../src/domain/delivery';

const { prepareDeliveries } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Database trouble is transient: keep trying for a while rather than drop the event.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/** Activity options for one attempt: its HTTP timeout plus room for the database reads and writes around it. */
function attemptActivities(timeoutMs: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: timeoutMs + 15_000,
    // These retries cover a crashed worker or an unreachable database, not the receiver's answers: those come back
    // as values and are retried on the delivery schedule below.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
  });
}

function summaryBase(delivery: PreparedDelivery) {
  return { deliveryId: delivery.deliveryId, webhookId: delivery.webhookId };
}

async function carryOut(delivery: PreparedDelivery): Promise<DeliverySummary> {
  const { deliverWebhook } = attemptActivities(delivery.timeoutMs);
  for (let attempt = 1; ; attempt++) {
    let result;
    try {
      result = await deliverWebhook({ deliveryId: delivery.deliveryId, attempt });
    } catch (error) {
      // One delivery that cannot go on must not sink its siblings: it is summarised as failed, with the cause.
      if (!(error instanceof ActivityFailure)) throw error;
      const cause = error.cause;
      const reason = cause instanceof ApplicationFailure && cause.type ? cause.type : (cause?.message ?? error.message);
      return { ...summaryBase(delivery), status: 'failed', attempts: attempt - 1, statusCode: null, error: reason };
    }
    if (result.final) {
      return {
        ...summaryBase(delivery),
        status: result.status,
        attempts: result.attempt,
        statusCode: result.statusCode,
        error: result.error,
      };
    }
    await sleep(result.retryInMs);
  }
}

export async function chatEventWorkflow(event: ChatEvent): Promise<ChatEventResult> {
  const deliveries = await prepareDeliveries({ event, workflowId: workflowInfo().workflowId });
  const summaries = await Promise.all(deliveries.map(carryOut));
  return { appId: event.appId, eventId: event.eventId, deliveries: summaries };
}
