/**
 * Operators' second chances. A replay sends one stored delivery again; a recovery sends every failed or skipped
 * delivery of a webhook in a time window again, a few at a time. Both append attempts to the same deliveries: same
 * webhook-id and payload, fresh timestamp and signature, the webhook's current URL and secret.
 */
import { continueAsNew, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

import type { Activities } from '../activities';
import type { DeliverySummary } from '../src/domain/delivery';
import {
  type RecoverWebhookWorkflow,
  type RecoveryInput,
  type RecoveryProgress,
  recoveryProgress,
  type ReplayInput,
} from '../src/temporal/contracts';
import { carryOut, trackChangedWebhooks } from './deliver';

const { reopenDelivery, countRecoverable, listRecoverable } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

export async function replayDeliveryWorkflow(input: ReplayInput): Promise<DeliverySummary> {
  const changed = trackChangedWebhooks();
  const delivery = await reopenDelivery(input);
  if (!delivery) {
    return {
      deliveryId: input.deliveryId,
      webhookId: '',
      status: 'failed',
      attempts: 0,
      statusCode: null,
      error: 'webhook deleted',
    };
  }
  return carryOut(input.appId, delivery, changed);
}

/** Deliveries sent at once; with the pause between groups, this keeps a recovering endpoint from being flooded. */
export const RECOVERY_CONCURRENCY = 5;
const RECOVERY_PAUSE_MS = 500;
/** A recovered delivery gets three attempts (now, 5 s, 30 s), not the full day-long schedule. */
const RECOVERY_SCHEDULE_MS = [5_000, 30_000];
/** Start a fresh history well before it grows large. */
const DELIVERIES_PER_RUN = 300;

export async function recoverWebhookWorkflow(input: RecoveryInput): Promise<RecoveryProgress> {
  const changed = trackChangedWebhooks();
  // The query is answered from the first workflow task on, while the total is still being counted (it reads 0 until
  // then): a caller asks for progress right after starting a recovery. Queries are not in the history, so answering
  // earlier changes no replay.
  const progress: RecoveryProgress = input.progress ?? { total: 0, sent: 0, succeeded: 0, failed: 0, done: false };
  setHandler(recoveryProgress, () => progress);
  if (!input.progress) {
    progress.total = await countRecoverable({
      appId: input.appId,
      webhookId: input.webhookId,
      since: input.since,
      until: input.until,
    });
  }

  let after = input.after;
  let thisRun = 0;
  for (;;) {
    const page = await listRecoverable({ ...input, after, limit: RECOVERY_CONCURRENCY });
    if (page.length === 0) break;
    await Promise.all(
      page.map(async ({ id }) => {
        const delivery = await reopenDelivery({
          appId: input.appId,
          deliveryId: id,
          retryScheduleMs: RECOVERY_SCHEDULE_MS,
        });
        progress.sent++;
        const summary = delivery ? await carryOut(input.appId, delivery, changed) : undefined;
        if (summary?.status === 'succeeded') progress.succeeded++;
        else progress.failed++;
      }),
    );
    const last = page.at(-1)!;
    after = { createdAt: last.createdAt, id: last.id };
    thisRun += page.length;
    if (thisRun >= DELIVERIES_PER_RUN) await continueAsNew<RecoverWebhookWorkflow>({ ...input, progress, after });
    await sleep(RECOVERY_PAUSE_MS);
  }
  progress.done = true;
  return progress;
}
