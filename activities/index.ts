import { createDeliveryActivities, type DeliveryActivityDeps } from './delivery';
import { createConditionActivities, type ConditionActivityDeps } from './conditions';
import { createConversationActivities, type ConversationActivityDeps } from './conversations';

export type ActivityDeps = DeliveryActivityDeps & ConditionActivityDeps & ConversationActivityDeps;

/** Every activity the worker registers, built over its real dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDeliveryActivities(deps),
    ...createConditionActivities(deps),
    ...createConversationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
