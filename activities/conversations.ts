/**
 * Keeps each conversation's idle timer: every message_sent (re)arms it with signal-with-start; an explicit
 * conversation_end disarms it.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { conversationWorkflowId, type ChatEvent } from '../src/domain/events';
import { SearchAttributes } from '../src/domain/search-attributes';
import type { conversationWorkflow } from '../workflows/conversation';

export interface ConversationActivityDeps {
  /** Undefined when CONVERSATION_IDLE_TIMEOUT is 0: conversations then end only when the backend says so. */
  conversations: { client: Client; taskQueue: string; idleTimeoutMs: number } | undefined;
}

export function createConversationActivities(deps: ConversationActivityDeps) {
  return {
    async touchConversation(input: { event: ChatEvent }): Promise<'armed' | 'ended' | 'off'> {
      const { event } = input;
      const conversations = deps.conversations;
      if (!conversations || !event.conversationId) return 'off';
      const workflowId = conversationWorkflowId(event.appId, event.conversationId);
      if (event.type === 'conversation_end') {
        try {
          await conversations.client.workflow.getHandle(workflowId).signal('conversationEnded');
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
        return 'ended';
      }
      await conversations.client.workflow.signalWithStart<typeof conversationWorkflow, [{ user: ChatEvent['user'] }]>('conversationWorkflow', {
        workflowId,
        taskQueue: conversations.taskQueue,
        args: [{ appId: event.appId, conversationId: event.conversationId, idleTimeoutMs: conversations.idleTimeoutMs, user: event.user }],
        signal: 'messageSeen',
        signalArgs: [{ user: event.user }],
        staticSummary: `Conversation ${event.conversationId} · app ${event.appId} (ends after ${Math.round(conversations.idleTimeoutMs / 1000)} s idle)`,
        typedSearchAttributes: [
          { key: SearchAttributes.AppId, value: event.appId },
          { key: SearchAttributes.ConversationId, value: event.conversationId },
        ],
      });
      return 'armed';
    },
  };
}
