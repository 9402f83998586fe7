import { createDeliveryActivities, type DeliveryActivityDeps } from './delivery';

export type ActivityDeps = DeliveryActivityDeps;

/** Every activity the worker registers, built over its real dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDeliveryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
