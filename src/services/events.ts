/**
 * Accepting a chat event: deduplicate, start its workflow, remember it. Outcomes are values; the route maps them.
 *
 * Order matters. The workflow is started before the event is recorded, so an unreachable Temporal leaves nothing
 * written. Temporal refuses a second workflow with the same id (concurrent duplicates); the events table catches
 * duplicates that arrive after Temporal's retention has dropped the workflow.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';

import type { Db } from '../db/pool';
import { takeEventToken } from '../db/queries/event-quotas';
import { findEvent, recordEvent } from '../db/queries/events';
import { type ChatEvent, EVENT_LABELS, isTestSend } from '../domain/events';
import { SearchAttributes } from '../domain/search-attributes';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { appPriority, type ChatEventWorkflow, chatEventWorkflowId, WorkflowType } from '../temporal/contracts';

export interface EventServiceDeps {
  db: Db;
  /** `eagerStart`: ask for eager workflow start (only when the client is on a local worker's NativeConnection). */
  temporal: { client: Client; taskQueue: string; startTimeoutMs?: number; eagerStart?: boolean };
  logger: Logger;
  metrics?: Metrics;
}

export type AcceptOutcome =
  | { outcome: 'accepted'; workflowId: string }
  | { outcome: 'duplicate'; workflowId: string }
  | { outcome: 'rate_limited'; retryAfterSeconds: number }
  | { outcome: 'temporal_unavailable' };

/**
 * Starts the event's workflow, with its search attributes and a summary the Temporal UI shows. Throws
 * WorkflowExecutionAlreadyStartedError for a repeated id, and a connection error when Temporal is out of reach.
 */
export async function startChatEventWorkflow(temporal: EventServiceDeps['temporal'], event: ChatEvent) {
  const workflowId = chatEventWorkflowId(event.appId, event.eventId);
  const what = isTestSend(event) ? `Test send to ${event.testWebhookId}` : EVENT_LABELS[event.type];
  return temporal.client.connection.withDeadline(Date.now() + (temporal.startTimeoutMs ?? 5_000), () =>
    temporal.client.workflow.start<ChatEventWorkflow>(WorkflowType.chatEvent, {
      workflowId,
      taskQueue: temporal.taskQueue,
      args: [event],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      priority: appPriority(event.appId, isTestSend(event) ? 'ownerWaiting' : 'event'),
      ...(temporal.eagerStart ? { requestEagerStart: true } : {}),
      staticSummary: `${what} · app ${event.appId}${event.conversationId ? ` · conversation ${event.conversationId}` : ''}`,
      typedSearchAttributes: [
        { key: SearchAttributes.AppId, value: event.appId },
        { key: SearchAttributes.EventType, value: event.type },
        // Set here rather than by the workflow: on the fast path the workflow upserts its search attributes once, when
        // it finishes, so until then this says where it stands.
        { key: SearchAttributes.DeliveryState, value: 'delivering' },
        ...(event.conversationId ? [{ key: SearchAttributes.ConversationId, value: event.conversationId }] : []),
      ],
    }),
  );
}

/**
 * Accepts an event for an app the caller has already found (the route's scopeToApp did). `maxPerSecond`: the app's
 * quota, when it has one; a duplicate is answered before the quota is asked (it starts nothing), and a refused event
 * writes nothing, so its retry with the same id is a first delivery. Without a quota this costs no query.
 */
export async function acceptEvent(
  deps: EventServiceDeps,
  event: ChatEvent,
  maxPerSecond?: number,
): Promise<AcceptOutcome> {
  const { db, temporal, logger } = deps;

  const known = await findEvent(db, event.appId, event.eventId);
  if (known) return { outcome: 'duplicate', workflowId: known.workflow_id };

  if (maxPerSecond !== undefined) {
    const take = await takeEventToken(db, event.appId, maxPerSecond);
    if (!take.granted) {
      deps.metrics?.eventsRateLimited.inc();
      return { outcome: 'rate_limited', retryAfterSeconds: take.retryAfterSeconds };
    }
  }

  const workflowId = chatEventWorkflowId(event.appId, event.eventId);
  const record = () =>
    recordEvent(db, {
      appId: event.appId,
      eventId: event.eventId,
      type: event.type,
      conversationId: event.conversationId,
      workflowId,
    });
  let eagerlyStarted: boolean;
  try {
    eagerlyStarted = (await startChatEventWorkflow(temporal, event)).eagerlyStarted;
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      // A concurrent request with the same id won the start; make sure the event is remembered either way.
      await record();
      return { outcome: 'duplicate', workflowId };
    }
    logger.warn(
      { err: error, app_id: event.appId, event_id: event.eventId, workflow_id: workflowId },
      'could not start workflow',
    );
    return { outcome: 'temporal_unavailable' };
  }
  await record();
  deps.metrics?.eventsAccepted.inc({ type: event.type });
  logger.info(
    {
      app_id: event.appId,
      event_id: event.eventId,
      event_type: event.type,
      workflow_id: workflowId,
      ...(temporal.eagerStart ? { eagerly_started: eagerlyStarted } : {}),
    },
    'event accepted',
  );
  return { outcome: 'accepted', workflowId };
}
