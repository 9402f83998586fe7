/**
 * One workflow per conversation, started by its first message. Later messages move the conversation's clock in
 * Postgres; when the timer fires, the workflow reads that clock and either waits for the rest of the idle time or, if
 * the conversation has really been idle for the configured time, sends "Conversation end" through the normal
 * chat-event path. An explicit conversation_end from the backend ends it quietly. Either way the delivery happens
 * once: the chat-event workflow claims the conversation's single end in Postgres.
 *
 * Conversations started before the clock moved to Postgres were signalled by every message (messageSeen); the signal
 * is still handled, and their histories replay unchanged.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  condition,
  continueAsNew,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  setWorkflowOptions,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';

import type { Activities } from '../activities';
import type { ChatEvent } from '../src/domain/events';
import { SearchAttributes } from '../src/domain/search-attributes';
import {
  chatEventWorkflowId,
  conversationEnded,
  type ConversationInput,
  type ConversationWorkflow,
  idleEndEventId,
  messageSeen,
} from '../src/temporal/contracts';
import { chatEventWorkflow } from './chat-event';
import { workflowNow } from './runtime';

const { checkConversationIdle } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  summary: 'read the conversation clock',
  // No attempt limit: the read is harmless to repeat, and a timer that gave up during a database outage would leave
  // its conversation without an end.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Marks the histories in which the idle timer reads the conversation clock from Postgres. */
export const IDLE_FROM_DATABASE = 'idle-from-database';

/** History grows by a signal per message; a long conversation starts afresh well before history limits matter. */
const SIGNALS_BEFORE_CONTINUE_AS_NEW = 500;

export async function conversationWorkflow(input: ConversationInput): Promise<'idle' | 'ended'> {
  let user = input.user;
  let seen = 0;
  let ended = false;
  setHandler(messageSeen, (signal) => {
    seen++;
    if (signal.user) user = signal.user;
  });
  setHandler(conversationEnded, () => {
    ended = true;
  });

  let waitMs = input.firstWaitMs ?? input.idleTimeoutMs;
  for (;;) {
    const before = seen;
    const active = await condition(() => ended || seen !== before, waitMs);
    if (ended) return 'ended';
    waitMs = input.idleTimeoutMs;
    if (active) {
      if (seen >= SIGNALS_BEFORE_CONTINUE_AS_NEW || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<ConversationWorkflow>({ ...input, user, firstWaitMs: undefined });
      }
      continue;
    }
    if (patched(IDLE_FROM_DATABASE)) {
      const clock = await checkConversationIdle({
        appId: input.appId,
        conversationId: input.conversationId,
        idleTimeoutMs: input.idleTimeoutMs,
      });
      if (clock.kind === 'ended') return 'ended';
      if (clock.kind === 'active') {
        // A message came meanwhile: wait until the conversation has been quiet for the whole idle time. A
        // conversation that goes on for days starts afresh before its history grows long.
        if (workflowInfo().continueAsNewSuggested) {
          await continueAsNew<ConversationWorkflow>({ ...input, user, firstWaitMs: clock.idleInMs });
        }
        waitMs = clock.idleInMs;
        continue;
      }
      if (clock.user) user = clock.user;
    }
    // Idle: the conversation ends now, through the same workflow as an event the backend posts.
    const event: ChatEvent = {
      appId: input.appId,
      eventId: idleEndEventId(input.conversationId),
      type: 'conversation_end',
      occurredAt: workflowNow().toISOString(),
      conversationId: input.conversationId,
      user,
      message: null,
      response: null,
    };
    try {
      await startChild(chatEventWorkflow, {
        workflowId: chatEventWorkflowId(event.appId, event.eventId),
        args: [event],
        // Deliveries may retry for a day; this workflow need not wait for them.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Conversation end (idle) · app ${event.appId} · conversation ${input.conversationId}`,
        typedSearchAttributes: [
          { key: SearchAttributes.AppId, value: event.appId },
          { key: SearchAttributes.EventType, value: event.type },
          { key: SearchAttributes.ConversationId, value: input.conversationId },
        ],
      });
    } catch (error) {
      // An earlier idle end of this conversation is still delivering: it is the one end.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    return 'idle';
  }
}

// Versioned workers pin every other workflow to the build it started on (src/temporal/worker-deployment.ts). A
// conversation's timer may wait as long as a conversation lasts, so it moves to the current build at its next task
// instead; changes to this workflow therefore still go behind patched(), which the replay test checks. Said only on a
// versioned worker: the server refuses a task completed with a versioning behaviour by an unversioned one (which
// still reports a version, with its build id and no deployment name).
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' } : {}),
  conversationWorkflow,
);
