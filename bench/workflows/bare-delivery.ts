/**
 * The two baselines, one workflow each over the same activity, which POSTs the payload it was given. No database, no
 * configuration lookups: what the workflow engine itself costs on this machine. The activity applies the product's
 * retry schedule through `nextRetryDelay`, so the retry settings match chat-webhooks and bullmq.
 *
 * - `bare-temporal` (bareDeliveryWorkflow): one workflow, one activity, the design users write first. Two workflow
 *   tasks and one activity task per event.
 * - `temporal-floor` (floorDeliveryWorkflow): the same POST as a local activity inside the first workflow task, which
 *   then completes the workflow. One workflow task, no activity task: the cheapest durable design on this engine.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

import type { BareActivities } from '../systems/bare-temporal-worker';

const retry = { maximumAttempts: 8, initialInterval: '5 seconds' } as const;

const { deliverPayload } = proxyActivities<BareActivities>({ startToCloseTimeout: '30 seconds', retry });
const local = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '30 seconds', retry });

export async function bareDeliveryWorkflow(input: { messageId: string; payload: string }): Promise<number> {
  return deliverPayload(input);
}

export async function floorDeliveryWorkflow(input: { messageId: string; payload: string }): Promise<number> {
  return local.deliverPayload(input);
}
