/**
 * Every activity the worker registers, built over its real dependencies. Workflows type their proxies with
 * `Activities`; the names here are the activity types recorded in histories, so they never change.
 */
import { type ConditionActivityDeps, createConditionActivities, createPrefilterGate } from './conditions';
import {
  type ConversationActivityDeps,
  createConversationActivities,
  createConversationTracker,
} from './conversations';
import { createDeliverWebhookActivities, createDeliveryAttempts, type DeliverWebhookDeps } from './deliver-webhook';
import { createOwnerAlertActivities, type OwnerAlertDeps } from './owner-alerts';
import { createPrepareDeliveryActivities, type PrepareDeliveryDeps } from './prepare-deliveries';
import { createPrepareEventActivity } from './prepare-event';
import { createReplayActivities, type ReplayActivityDeps } from './replay';
import { createRetentionActivities, type RetentionActivityDeps } from './retention';

export type ActivityDeps = PrepareDeliveryDeps &
  DeliverWebhookDeps &
  OwnerAlertDeps &
  ConditionActivityDeps &
  ConversationActivityDeps &
  ReplayActivityDeps &
  RetentionActivityDeps;

export function createActivities(deps: ActivityDeps) {
  const preparing = createPrepareDeliveryActivities(deps);
  // One per worker: its endpoint limiter counts both the activities' attempts and prepareEvent's first attempts.
  const attempts = createDeliveryAttempts(deps);
  return {
    ...preparing,
    ...createDeliverWebhookActivities(deps, attempts),
    ...createOwnerAlertActivities(deps),
    ...createPrepareEventActivity(deps, {
      prepareDeliveries: preparing.prepareDeliveries,
      tracker: createConversationTracker(deps),
      attempts,
      conditionsToJudge: createPrefilterGate(deps),
    }),
    ...createConditionActivities(deps),
    ...createConversationActivities(deps),
    ...createReplayActivities(deps),
    ...createRetentionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
