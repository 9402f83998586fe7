/**
 * One workflow per conversation, started by its first message and signalled by every later one. When the conversation
 * has been idle for the configured time, it sends "Conversation end" through the normal chat-event path; an explicit
 * conversation_end from the backend ends it quietly. Either way the delivery happens once: the chat-event workflow
 * claims the conversation's single end in Postgres.
 */
import {
  condition,
  continueAsNew,
  defineSignal,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ChatEvent } from '../src/domain/events';
import { chatEventWorkflowId } from '../src/domain/workflow-ids';
import { chatEventWorkflow } from './chat-event';
import { SearchAttributes } from '../src/domain/search-attributes';

export interface ConversationInput {
  appId: string;
  conversationId: string;
  idleTimeoutMs: number;
  /** The last user seen, carried into the "Conversation end" payload. */
  user: ChatEvent['user'];
}

export const messageSeen = defineSignal<[{ user: ChatEvent['user'] }]>('messageSeen');
export const conversationEnded = defineSignal('conversationEnded');

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

  for (;;) {
    const before = seen;
    const active = await condition(() => ended || seen !== before, input.idleTimeoutMs);
    if (ended) return 'ended';
    if (active) {
      if (seen >= SIGNALS_BEFORE_CONTINUE_AS_NEW || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof conversationWorkflow>({ ...input, user });
      }
      continue;
    }
    // Idle: the conversation ends now, through the same workflow as an event the backend posts.
    const event: ChatEvent = {
      appId: input.appId,
      eventId: `idle-end:${input.conversationId}`,
      type: 'conversation_end',
      occurredAt: new Date().toISOString(),
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
