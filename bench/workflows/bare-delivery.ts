/**
 * `bare-temporal`: one workflow, one activity that POSTs the payload it was given. No database, no configuration
 * lookups: what the workflow engine itself costs on this machine. The activity applies the product's retry schedule
 * through `nextRetryDelay`, so the retry settings match chat-webhooks and bullmq.
 */
import { proxyActivities } from '@temporalio/workflow';

import type { BareActivities } from '../systems/bare-temporal-worker';

const { deliverPayload } = proxyActivities<BareActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 8, initialInterval: '5 seconds' },
});

export async function bareDeliveryWorkflow(input: { messageId: string; payload: string }): Promise<number> {
  return deliverPayload(input);
}
