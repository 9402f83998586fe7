/**
 * One workflow per chat event: prepare the deliveries, make each first attempt inside the first workflow task, then
 * carry on with what needs more, attempt by attempt, waiting between attempts on durable timers. A worker restart
 * resumes exactly where the history says.
 */
import {
  ActivityFailure,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';

import type { Activities } from '../activities';
import type { ConditionsSummary } from '../src/domain/conditions';
import type { AttemptResult, ChatEventResult, DeliverySummary, PreparedDelivery } from '../src/domain/delivery';
import { type ChatEvent, mayNeedJudging, tracksConversation } from '../src/domain/events';
import { deliveryStateOf, SearchAttributes } from '../src/domain/search-attributes';
import { carryOut, firstAttemptLocally, summaryOf, trackChangedWebhooks } from './deliver';

const { prepareDeliveries, prepareConditionDeliveries, touchConversation } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Database trouble is transient: keep trying for a while rather than drop the event.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/**
 * Loading the app's settings, recording the deliveries and noting the conversation: a few database statements, run
 * inside the workflow task (a local activity), so an event costs the engine one activity task and one workflow task
 * less. Database trouble is retried for as long as before; past a minute, local retries wait on durable timers.
 */
const { prepareEvent } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/**
 * The same, making each delivery's first attempt as well (first-attempt-locally). Preparing takes well under a second;
 * the attempts, made in parallel, each end within their delivery timeout (at most two minutes, see src/config.ts).
 */
const { prepareEvent: prepareEventAndAttempt } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '150 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/**
 * Workflows started before prepareEvent ran prepareDeliveries, evaluateConditions and touchConversation as separate
 * activities; their histories replay on that path.
 */
export const PREPARE_EVENT_LOCALLY = 'prepare-event-locally';

/**
 * Workflows started before first-attempt-locally made every attempt as an activity, and set their search attributes
 * as they went; their histories replay on that path.
 */
export const FIRST_ATTEMPT_LOCALLY = 'first-attempt-locally';

/** The LLM judge's retry limit; the activity records a failed evaluation on the last attempt instead of throwing. */
const EVALUATION_MAX_ATTEMPTS = 8;
const { evaluateConditions } = proxyActivities<Activities>({
  // Longer than any CONDITIONS_TIMEOUT_MS allows, plus the database work around the call.
  startToCloseTimeout: '3 minutes',
  // The activity heartbeats while it waits for the LLM, so a crashed worker is noticed in seconds, not minutes.
  heartbeatTimeout: '15 seconds',
  summary: 'judge custom conditions',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: EVALUATION_MAX_ATTEMPTS,
  },
});

/**
 * Judges the event's custom conditions and delivers those that fire. Runs beside the event's own deliveries: a slow
 * or failed evaluation never holds them up, and a failed one fires nothing.
 */
type Judged = { conditions?: ConditionsSummary; deliveries: DeliverySummary[] };

async function judgeConditions(
  event: ChatEvent,
  workflowId: string,
  deliver: (d: PreparedDelivery) => Promise<DeliverySummary>,
  addWebhookIds: (ids: string[]) => void,
): Promise<Judged> {
  let evaluation;
  try {
    evaluation = await evaluateConditions({ event, workflowId, maxAttempts: EVALUATION_MAX_ATTEMPTS });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // A refused LLM call (bad key, unknown model): the activity recorded it; nothing fires.
    const cause = error.cause;
    return { conditions: { outcome: 'failed', reason: cause?.message ?? error.message, verdicts: [] }, deliveries: [] };
  }
  if (!evaluation) return { deliveries: [] };
  const { matches, ...conditions } = evaluation;
  if (matches.length === 0) return { conditions, deliveries: [] };
  const prepared = await prepareConditionDeliveries({ event, workflowId, matches });
  addWebhookIds(prepared.map((d) => d.webhookId));
  return { conditions, deliveries: await Promise.all(prepared.map(deliver)) };
}

/** Before first-attempt-locally, every attempt of a condition's delivery was an activity. */
function judgeAndFire(event: ChatEvent, run: Run): Promise<Judged> {
  return judgeConditions(event, run.workflowId, (d) => carryOut(event.appId, d, run.changed), run.addWebhookIds);
}

/** What every run shares: the search attributes operators filter on, and the webhooks changed meanwhile. */
function startRun() {
  // Operators find events by where their deliveries stand, and by the webhooks they went to.
  const webhookIds = new Set<string>();
  const addWebhookIds = (ids: string[]) => {
    const before = webhookIds.size;
    for (const id of ids) webhookIds.add(id);
    if (webhookIds.size !== before)
      upsertSearchAttributes([{ key: SearchAttributes.WebhookIds, value: [...webhookIds] }]);
  };
  upsertSearchAttributes([{ key: SearchAttributes.DeliveryState, value: 'delivering' }]);
  return { addWebhookIds, changed: trackChangedWebhooks(), workflowId: workflowInfo().workflowId };
}
type Run = ReturnType<typeof startRun>;

export async function chatEventWorkflow(event: ChatEvent): Promise<ChatEventResult> {
  if (patched(FIRST_ATTEMPT_LOCALLY)) return chatEventFirstAttemptLocally(event);
  const run = startRun();
  if (!patched(PREPARE_EVENT_LOCALLY)) return chatEventBeforePrepareEventLocally(event, run);
  return chatEventBeforeFirstAttemptLocally(event, run);
}

/**
 * The fast path. The event is prepared and every delivery's first attempt is made inside the first workflow task (one
 * local activity, prepareEvent, does both), so an event whose deliveries all succeed at once completes in that task:
 * one workflow task, no activity task. A delivery that needs more (a retry, the endpoint at its in-flight limit, a failed local attempt, a
 * webhook just disabled) goes on in carryOut with durable timers and activities, as every delivery did before.
 *
 * Search attributes: the API starts the workflow with DeliveryState "delivering"; WebhookIds are set once the
 * workflow outlives its first task (an operator may then look for it) and otherwise with the final state, in one
 * upsert.
 */
async function chatEventFirstAttemptLocally(event: ChatEvent): Promise<ChatEventResult> {
  const { workflowId } = workflowInfo();
  const changed = trackChangedWebhooks();
  const webhookIds = new Set<string>();
  let outlived = false;
  let published = 0;
  const publishWebhookIds = () => {
    if (webhookIds.size === published) return;
    published = webhookIds.size;
    upsertSearchAttributes([{ key: SearchAttributes.WebhookIds, value: [...webhookIds] }]);
  };
  const addWebhookIds = (ids: string[]) => {
    for (const id of ids) webhookIds.add(id);
    if (outlived) publishWebhookIds();
  };
  const outlive = () => {
    if (outlived) return;
    outlived = true;
    publishWebhookIds();
  };
  /** Takes a delivery on from its first attempt (undefined: none was made). */
  const goOn = (d: PreparedDelivery, first: AttemptResult | undefined): Promise<DeliverySummary> | DeliverySummary => {
    if (first?.kind === 'final' && !first.disabled) return summaryOf(d, first);
    outlive();
    return carryOut(event.appId, d, changed, first);
  };

  const prepared = await prepareEventAndAttempt({ event, workflowId, firstAttempts: true });
  addWebhookIds([...prepared.deliveries.map((d) => d.webhookId), ...prepared.skipped.map((d) => d.webhookId)]);
  const judged = async (): Promise<Judged> => {
    outlive();
    // A condition's delivery is prepared after judging, in a later task; its first attempt is a local activity there.
    const deliverFired = async (d: PreparedDelivery) => goOn(d, await firstAttemptLocally(d));
    return judgeConditions(event, workflowId, deliverFired, addWebhookIds);
  };
  const [direct, conditional] = await Promise.all([
    Promise.all(prepared.deliveries.map((d) => goOn(d, prepared.firstResults?.[d.deliveryId]))),
    prepared.judge ? judged() : Promise.resolve<Judged>({ deliveries: [] }),
  ]);
  const deliveries = [...direct, ...prepared.skipped, ...conditional.deliveries];
  upsertSearchAttributes([
    { key: SearchAttributes.DeliveryState, value: deliveryStateOf(deliveries) },
    ...(webhookIds.size !== published ? [{ key: SearchAttributes.WebhookIds, value: [...webhookIds] }] : []),
  ]);
  return {
    appId: event.appId,
    eventId: event.eventId,
    deliveries,
    ...(conditional.conditions ? { conditions: conditional.conditions } : {}),
  };
}

/** The path of workflows started before first-attempt-locally. */
async function chatEventBeforeFirstAttemptLocally(event: ChatEvent, run: Run): Promise<ChatEventResult> {
  const prepared = await prepareEvent({ event, workflowId: run.workflowId });
  run.addWebhookIds([...prepared.deliveries.map((d) => d.webhookId), ...prepared.skipped.map((d) => d.webhookId)]);
  const [direct, conditional] = await Promise.all([
    Promise.all(prepared.deliveries.map((d) => carryOut(event.appId, d, run.changed))),
    prepared.judge ? judgeAndFire(event, run) : Promise.resolve<Judged>({ deliveries: [] }),
  ]);
  return finish(event, [...direct, ...prepared.skipped, ...conditional.deliveries], conditional.conditions);
}

/** The path of workflows started before prepare-event-locally: three activities where prepareEvent is one. */
async function chatEventBeforePrepareEventLocally(event: ChatEvent, run: Run): Promise<ChatEventResult> {
  const [direct, conditional] = await Promise.all([
    prepareDeliveries({ event, workflowId: run.workflowId }).then(async ({ deliveries, skipped }) => {
      run.addWebhookIds([...deliveries.map((d) => d.webhookId), ...skipped.map((d) => d.webhookId)]);
      return [...(await Promise.all(deliveries.map((d) => carryOut(event.appId, d, run.changed)))), ...skipped];
    }),
    mayNeedJudging(event) ? judgeAndFire(event, run) : Promise.resolve<Judged>({ deliveries: [] }),
    tracksConversation(event) ? touchConversation({ event }) : undefined,
  ]);
  return finish(event, [...direct, ...conditional.deliveries], conditional.conditions);
}

function finish(
  event: ChatEvent,
  deliveries: DeliverySummary[],
  conditions: ConditionsSummary | undefined,
): ChatEventResult {
  upsertSearchAttributes([{ key: SearchAttributes.DeliveryState, value: deliveryStateOf(deliveries) }]);
  return {
    appId: event.appId,
    eventId: event.eventId,
    deliveries,
    ...(conditions ? { conditions } : {}),
  };
}
