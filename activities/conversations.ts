/**
 * Each conversation's idle timer. The first message of a conversation starts its idle-timer workflow; later messages
 * only move the conversation's clock in Postgres, which the workflow reads when its timer fires. An explicit
 * conversation_end ends the conversation there and stops the timer.
 *
 * (Conversations started before the clock moved to Postgres were kept alive by a signal per message:
 * `touchConversation` remains for chat-event workflows that were already running then.)
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';

import type { Db } from '../src/db/pool';
import {
  checkConversationIdle,
  endConversationByBackend,
  type IdleCheck,
  markConversationTimerArmed,
  noteConversationMessage,
} from '../src/db/queries/conversations';
import { type ChatEvent, tracksConversation } from '../src/domain/events';
import { SearchAttributes } from '../src/domain/search-attributes';
import type { Logger } from '../src/logger';
import type { SecretBox } from '../src/security/secret-box';
import { createUserKeyOf } from '../src/security/user-key';
import {
  appPriority,
  conversationEnded,
  type ConversationInput,
  type ConversationWorkflow,
  conversationWorkflowId,
  messageSeen,
  WorkflowType,
} from '../src/temporal/contracts';

export interface ConversationActivityDeps {
  db: Db;
  logger: Logger;
  /** Keys conversation rows by user (src/security/user-key.ts). The worker always has it; without it, no user key. */
  secrets?: SecretBox;
  /** Undefined when CONVERSATION_IDLE_TIMEOUT is 0: conversations then end only when the backend says so. */
  conversations: { client: Client; taskQueue: string; idleTimeoutMs: number } | undefined;
}

type TrackResult = 'armed' | 'ticking' | 'ended' | 'off' | 'not_armed';

/**
 * How late an idle timer may be (its clock read retrying through a database outage) before it counts as lost: five
 * minutes, or the idle time itself when that is shorter.
 */
const MAX_TIMER_LATENESS_MS = 5 * 60_000;

const TIMER_CALL_TIMEOUT_MS = 5_000;

function timerStart(
  conversations: NonNullable<ConversationActivityDeps['conversations']>,
  event: ChatEvent & { conversationId: string },
) {
  const input: ConversationInput = {
    appId: event.appId,
    conversationId: event.conversationId,
    idleTimeoutMs: conversations.idleTimeoutMs,
    user: event.user,
  };
  return {
    workflowId: conversationWorkflowId(event.appId, event.conversationId),
    taskQueue: conversations.taskQueue,
    args: [input] as [ConversationInput],
    priority: appPriority(event.appId, 'event'),
    staticSummary: `Conversation ${event.conversationId} · app ${event.appId} (ends after ${Math.round(conversations.idleTimeoutMs / 1000)} s idle)`,
    typedSearchAttributes: [
      { key: SearchAttributes.AppId, value: event.appId },
      { key: SearchAttributes.ConversationId, value: event.conversationId },
    ],
  };
}

async function stopTimer(
  conversations: NonNullable<ConversationActivityDeps['conversations']>,
  workflowId: string,
): Promise<void> {
  try {
    await conversations.client.workflow.getHandle(workflowId).signal(conversationEnded);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}

/** Preparing an event waits this long for Temporal to start or stop its conversation's timer, then goes on without. */
function withinTimerDeadline<T>(
  conversations: NonNullable<ConversationActivityDeps['conversations']>,
  call: () => Promise<T>,
): Promise<T> {
  return conversations.client.connection.withDeadline(Date.now() + TIMER_CALL_TIMEOUT_MS, call);
}

/** Used while an event is prepared (inside the prepareEvent activity; not an activity of its own). */
export function createConversationTracker(deps: ConversationActivityDeps) {
  const userKeyOf = deps.secrets ? createUserKeyOf(deps.secrets) : () => null;
  return {
    /**
     * A message restarts the conversation's idle clock, and starts its timer when none runs yet; a conversation_end
     * ends it and stops the timer. Safe to repeat.
     */
    async trackConversation(event: ChatEvent): Promise<TrackResult> {
      const conversations = deps.conversations;
      if (!conversations || !tracksConversation(event) || !event.conversationId) return 'off';
      const conversation = { ...event, conversationId: event.conversationId };
      if (event.type === 'conversation_end') {
        const { timerMayRun } = await endConversationByBackend(deps.db, event.appId, event.conversationId);
        if (timerMayRun) {
          try {
            await withinTimerDeadline(conversations, () =>
              stopTimer(conversations, conversationWorkflowId(event.appId, conversation.conversationId)),
            );
          } catch (error) {
            // Harmless: the clock says ended, so the timer stops by itself when it fires. The end is not held up.
            deps.logger.warn(
              { err: error, app_id: event.appId, conversation_id: event.conversationId },
              'could not stop the conversation idle timer early',
            );
          }
        }
        return 'ended';
      }
      const state = await noteConversationMessage(deps.db, {
        appId: event.appId,
        conversationId: event.conversationId,
        user: event.user,
        userKey: userKeyOf(event.appId, event.user?.id),
      });
      if (state.ended) return 'ended';
      // A conversation quiet for longer than its idle time (and a margin) should have been ended by its timer: that
      // timer is gone (terminated by an operator, say), so one is started again. A timer that is only late is found
      // running and left be.
      const lateness = Math.min(MAX_TIMER_LATENESS_MS, conversations.idleTimeoutMs);
      const timerLost = state.quietForMs !== null && state.quietForMs > conversations.idleTimeoutMs + lateness;
      if (state.timerArmed && !timerLost) return 'ticking';
      // The one start of this conversation's timer. A concurrent first message may start it too: the second start
      // finds the running workflow and leaves it be (no signal, no workflow task).
      try {
        await withinTimerDeadline(conversations, () =>
          conversations.client.workflow.start<ConversationWorkflow>(WorkflowType.conversation, {
            ...timerStart(conversations, conversation),
            workflowIdConflictPolicy: 'USE_EXISTING',
          }),
        );
      } catch (error) {
        // The event's deliveries must not wait on its conversation's timer: the next message tries again.
        deps.logger.warn(
          { err: error, app_id: event.appId, conversation_id: event.conversationId },
          'could not start the conversation idle timer; the next message tries again',
        );
        return 'not_armed';
      }
      await markConversationTimerArmed(deps.db, event.appId, event.conversationId);
      return 'armed';
    },
  };
}

export function createConversationActivities(deps: ConversationActivityDeps) {
  return {
    /** The idle timer fired: is the conversation idle, still active (and for how long at least), or ended? */
    async checkConversationIdle(input: {
      appId: string;
      conversationId: string;
      idleTimeoutMs: number;
    }): Promise<IdleCheck> {
      return checkConversationIdle(deps.db, input.appId, input.conversationId, input.idleTimeoutMs);
    },

    /** Kept for chat-event workflows started before conversation clocks moved to Postgres: one signal per message. */
    async touchConversation(input: { event: ChatEvent }): Promise<'armed' | 'ended' | 'off'> {
      const { event } = input;
      const conversations = deps.conversations;
      if (!conversations || !tracksConversation(event) || !event.conversationId) return 'off';
      const conversation = { ...event, conversationId: event.conversationId };
      if (event.type === 'conversation_end') {
        await stopTimer(conversations, conversationWorkflowId(event.appId, event.conversationId));
        return 'ended';
      }
      await conversations.client.workflow.signalWithStart<ConversationWorkflow, [{ user: ChatEvent['user'] }]>(
        WorkflowType.conversation,
        {
          ...timerStart(conversations, conversation),
          signal: messageSeen,
          signalArgs: [{ user: event.user }],
        },
      );
      return 'armed';
    },
  };
}
