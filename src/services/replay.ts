/**
 * Starting replays and recoveries, and reading a recovery's progress. Outcomes are values; routes and the CLI map them.
 */
import crypto from 'node:crypto';

import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';

import type { Db } from '../db/pool';
import { findDelivery } from '../db/queries/deliveries';
import { findWebhook } from '../db/queries/webhooks';
import { SearchAttributes } from '../domain/search-attributes';
import {
  appPriority,
  type RecoverWebhookWorkflow,
  type RecoveryProgress,
  recoveryProgress,
  recoveryWorkflowId,
  type ReplayDeliveryWorkflow,
  replayWorkflowId,
  WorkflowType,
} from '../temporal/contracts';
import type { EventServiceDeps } from './events';

export interface ReplayDeps {
  db: Db;
  temporal: EventServiceDeps['temporal'];
}

/** Recoveries cover at most 14 days, as Svix allows: a bigger window is a sign the endpoint needs attention first. */
export const MAX_RECOVERY_WINDOW_MS = 14 * 86_400_000;

export type ReplayOutcome =
  | { outcome: 'started' | 'duplicate'; workflowId: string }
  | { outcome: 'not_found' }
  | { outcome: 'webhook_gone' }
  | { outcome: 'webhook_disabled' }
  | { outcome: 'payload_expired'; purgedAt: Date | null; erasedAt: Date | null };

/**
 * Replays a stored delivery. With an idempotency key, repeating the request finds the replay it started instead of
 * starting another.
 */
export async function startReplay(
  deps: ReplayDeps,
  appId: string,
  deliveryId: string,
  idempotencyKey?: string,
): Promise<ReplayOutcome> {
  const delivery = await findDelivery(deps.db, appId, deliveryId);
  if (!delivery) return { outcome: 'not_found' };
  if (delivery.payload === null) {
    return { outcome: 'payload_expired', purgedAt: delivery.payload_purged_at, erasedAt: delivery.erased_at };
  }
  const webhook = await findWebhook(deps.db, appId, delivery.webhook_id);
  if (!webhook) return { outcome: 'webhook_gone' };
  if (!webhook.enabled) return { outcome: 'webhook_disabled' };
  const key = idempotencyKey
    ? crypto.createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)
    : crypto.randomUUID();
  const workflowId = replayWorkflowId(appId, deliveryId, key);
  try {
    await deps.temporal.client.connection.withDeadline(Date.now() + (deps.temporal.startTimeoutMs ?? 5_000), () =>
      deps.temporal.client.workflow.start<ReplayDeliveryWorkflow>(WorkflowType.replayDelivery, {
        workflowId,
        taskQueue: deps.temporal.taskQueue,
        args: [{ appId, deliveryId }],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        priority: appPriority(appId, 'ownerWaiting'),
        staticSummary: `Replay of ${deliveryId} · app ${appId}`,
        typedSearchAttributes: [
          { key: SearchAttributes.AppId, value: appId },
          { key: SearchAttributes.WebhookIds, value: [delivery.webhook_id] },
        ],
      }),
    );
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { outcome: 'duplicate', workflowId };
    throw error;
  }
  return { outcome: 'started', workflowId };
}

export type RecoveryOutcome =
  | { outcome: 'started'; recoveryId: string; workflowId: string; since: Date; until: Date; shortened: boolean }
  | { outcome: 'not_found' }
  | { outcome: 'invalid_window'; reason: string };

export async function startRecovery(
  deps: ReplayDeps,
  appId: string,
  webhookId: string,
  window: { since: Date; until?: Date },
): Promise<RecoveryOutcome> {
  const until = window.until ?? new Date();
  if (window.since >= until) return { outcome: 'invalid_window', reason: 'since must be before until' };
  // A longer window is cut to the 14 days before until: the answer says which window was taken.
  const shortened = until.getTime() - window.since.getTime() > MAX_RECOVERY_WINDOW_MS;
  const since = shortened ? new Date(until.getTime() - MAX_RECOVERY_WINDOW_MS) : window.since;
  if (!(await findWebhook(deps.db, appId, webhookId))) return { outcome: 'not_found' };
  const recoveryId = `rcv_${crypto.randomUUID().replaceAll('-', '')}`;
  const workflowId = recoveryWorkflowId(appId, recoveryId);
  await deps.temporal.client.connection.withDeadline(Date.now() + (deps.temporal.startTimeoutMs ?? 5_000), () =>
    deps.temporal.client.workflow.start<RecoverWebhookWorkflow>(WorkflowType.recoverWebhook, {
      workflowId,
      taskQueue: deps.temporal.taskQueue,
      args: [{ appId, webhookId, since: since.toISOString(), until: until.toISOString() }],
      priority: appPriority(appId, 'bulk'),
      staticSummary: `Recovery of webhook ${webhookId} · ${since.toISOString()} to ${until.toISOString()}`,
      typedSearchAttributes: [
        { key: SearchAttributes.AppId, value: appId },
        { key: SearchAttributes.WebhookIds, value: [webhookId] },
      ],
    }),
  );
  return { outcome: 'started', recoveryId, workflowId, since, until, shortened };
}

export async function recoveryProgressOf(
  deps: ReplayDeps,
  appId: string,
  recoveryId: string,
): Promise<RecoveryProgress | undefined> {
  if (!/^rcv_[0-9a-f]{32}$/.test(recoveryId)) return undefined;
  try {
    return await deps.temporal.client.workflow.getHandle(recoveryWorkflowId(appId, recoveryId)).query(recoveryProgress);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}
