/**
 * Webhook operations that reach beyond the database: telling running workflows that webhooks changed, and test sends.
 */
import crypto from 'node:crypto';

import { WorkflowNotFoundError } from '@temporalio/client';

import type { Db } from '../db/pool';
import { listAttempts, listDeliveriesForEvent, listPendingWorkflowIds } from '../db/queries/deliveries';
import type { WebhookRow } from '../db/queries/webhooks';
import type { ChatEventResult } from '../domain/delivery';
import { sampleChatEvent } from '../domain/event-catalogue';
import { CHAT_EVENT_TYPES, type ChatEvent, type ChatEventType } from '../domain/events';
import type { Logger } from '../logger';
import { webhooksChanged } from '../temporal/contracts';
import { type EventServiceDeps, startChatEventWorkflow } from './events';

/**
 * Wakes the workflows that wait to retry a delivery to these webhooks (deleted or disabled), so their next attempt
 * ends the delivery now instead of at the next scheduled retry. Best effort: a workflow that has finished meanwhile
 * needs nothing, and one that cannot be reached ends the delivery at its scheduled retry anyway.
 */
export async function notifyWebhooksChanged(
  deps: { db: Db; temporal: EventServiceDeps['temporal']; logger: Logger },
  appId: string,
  webhookIds: string[],
): Promise<void> {
  if (webhookIds.length === 0) return;
  const workflowIds = await listPendingWorkflowIds(deps.db, appId, webhookIds);
  await Promise.all(
    workflowIds.map(async (workflowId) => {
      try {
        await deps.temporal.client.workflow.getHandle(workflowId).signal(webhooksChanged, webhookIds);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) {
          deps.logger.warn(
            { err: error, workflow_id: workflowId, app_id: appId },
            'could not tell workflow that webhooks changed',
          );
        }
      }
    }),
  );
}

export interface TestSendOutcome {
  deliveryId: string | null;
  workflowId: string;
  /** `pending` when the attempt did not finish within the wait. */
  status: 'succeeded' | 'failed' | 'pending';
  attempt: {
    statusCode: number | null;
    durationMs: number;
    responseExcerpt: string | null;
    error: string | null;
  } | null;
}

/**
 * Sends a sample payload of the webhook's first subscribed event type through the normal workflow path, once, and
 * waits up to `waitMs` for the outcome. Test sends are not chat events: they are not recorded as accepted events,
 * but their delivery is in the delivery log (marked `is_test`) and their workflow in the Temporal UI.
 */
export async function sendTest(
  deps: { db: Db; temporal: EventServiceDeps['temporal'] },
  webhook: WebhookRow,
  waitMs: number,
): Promise<TestSendOutcome> {
  const type: ChatEventType =
    (webhook.events.find((e) => (CHAT_EVENT_TYPES as readonly string[]).includes(e)) as ChatEventType | undefined) ??
    'message_sent';
  const event: ChatEvent = {
    ...sampleChatEvent(type, {
      appId: webhook.app_id,
      eventId: `test_${crypto.randomUUID().replaceAll('-', '')}`,
      occurredAt: new Date().toISOString(),
    }),
    testWebhookId: webhook.id,
  };
  const handle = await startChatEventWorkflow(deps.temporal, event);
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    handle.result() as Promise<ChatEventResult>,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), waitMs);
    }),
  ]).finally(() => clearTimeout(timer));

  const [delivery] = await listDeliveriesForEvent(deps.db, webhook.app_id, event.eventId);
  const summary = result?.deliveries[0];
  if (!delivery || !summary)
    return { deliveryId: delivery?.id ?? null, workflowId: handle.workflowId, status: 'pending', attempt: null };
  const last = (await listAttempts(deps.db, delivery.id)).at(-1);
  return {
    deliveryId: delivery.id,
    workflowId: handle.workflowId,
    status: summary.status === 'succeeded' ? 'succeeded' : 'failed',
    attempt: last
      ? {
          statusCode: last.status_code,
          durationMs: last.duration_ms,
          responseExcerpt: last.response_excerpt,
          error: last.error_class ? `${last.error_class}: ${last.error_message}` : null,
        }
      : { statusCode: null, durationMs: 0, responseExcerpt: null, error: summary.error },
  };
}
