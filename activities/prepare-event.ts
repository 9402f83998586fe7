/**
 * The first step of every chat event, run as a local activity inside the workflow's first task: note the message in
 * its conversation, record the event's deliveries, and say whether custom conditions need judging. Everything here is
 * a few Postgres statements (and, on a conversation's first message, one start of its idle timer), so running it
 * locally saves the engine an activity task and a workflow task per event.
 */
import { listActiveConditions } from '../src/db/queries/conditions';
import type { PreparedEvent } from '../src/domain/delivery';
import { type ChatEvent, mayNeedJudging } from '../src/domain/events';
import type { createPrefilterGate } from './conditions';
import type { ConversationActivityDeps, createConversationTracker } from './conversations';
import type { PrepareDeliveryActivities } from './prepare-deliveries';

export interface PreparedEventWithConditions extends PreparedEvent {
  /** The app has custom conditions to judge against this message, and their prefilters let at least one through. */
  judge: boolean;
}

export function createPrepareEventActivity(
  deps: ConversationActivityDeps,
  parts: {
    prepareDeliveries: PrepareDeliveryActivities['prepareDeliveries'];
    tracker: ReturnType<typeof createConversationTracker>;
    conditionsToJudge: ReturnType<typeof createPrefilterGate>;
  },
) {
  return {
    /** Safe to retry: each part is. */
    async prepareEvent(input: { event: ChatEvent; workflowId: string }): Promise<PreparedEventWithConditions> {
      const { event } = input;
      const judging = mayNeedJudging(event);
      const [prepared, conditions] = await Promise.all([
        parts.prepareDeliveries(input),
        judging ? listActiveConditions(deps.db, event.appId) : [],
        parts.tracker.trackConversation(event),
      ]);
      // Prefilters run here too: when none lets a condition through, the judging activity is not even scheduled.
      return { ...prepared, judge: await parts.conditionsToJudge(event, conditions) };
    },
  };
}
