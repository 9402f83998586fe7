import { createDeliveryActivities, type DeliveryActivityDeps } from './delivery';
import { createConditionActivities, type ConditionActivityDeps } from './conditions';
import { createConversationActivities, type ConversationActivityDeps } from './conversations';
import { createReplayActivities, type ReplayActivityDeps } from './replay';

export type ActivityDeps = DeliveryActivityDeps & ConditionActivityDeps & ConversationActivityDeps & ReplayActivityDeps;

/** Every activity the worker registers, built over its real dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDeliveryActivities(deps),
    ...createConditionActivities(deps),
    ...createConversationActivities(deps),
    ...createReplayActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
