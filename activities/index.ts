import { type ConditionActivityDeps,createConditionActivities } from './conditions';
import {
  type ConversationActivityDeps,
  createConversationActivities,
  createConversationTracker,
} from './conversations';
import { createDeliveryActivities, type DeliveryActivityDeps } from './delivery';
import { createPrepareEventActivity } from './prepare-event';
import { createReplayActivities, type ReplayActivityDeps } from './replay';

export type ActivityDeps = DeliveryActivityDeps & ConditionActivityDeps & ConversationActivityDeps & ReplayActivityDeps;

/** Every activity the worker registers, built over its real dependencies. */
export function createActivities(deps: ActivityDeps) {
  const delivery = createDeliveryActivities(deps);
  return {
    ...delivery,
    ...createPrepareEventActivity(deps, {
      prepareDeliveries: delivery.prepareDeliveries,
      tracker: createConversationTracker(deps),
    }),
    ...createConditionActivities(deps),
    ...createConversationActivities(deps),
    ...createReplayActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
