/**
 * The retention schedule: a Temporal Schedule that starts the purge workflow every PURGE_INTERVAL_MS (an hour), skipping a start
 * while the previous purge still runs. `migrate` (with TEMPORAL_ADDRESS) and dev mode call `ensureRetentionSchedule`;
 * it creates the schedule, updates it when the config changed, and otherwise leaves it alone, so running it again
 * changes nothing.
 */
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';

import { DEFAULT_PURGE_BATCH_SIZE, PURGE_INTERVAL_MS } from '../domain/retention';
import { type PurgeInput, type PurgeWorkflow, purgeWorkflowId, retentionScheduleId, WorkflowType } from './contracts';

export interface RetentionScheduleOptions {
  taskQueue: string;
  retention: { payloadMs: number; logMs: number };
  batchSize?: number;
  /** Default retentionScheduleId(taskQueue); tests use their own. */
  scheduleId?: string;
}

/** What the schedule starts, and when: compared with what the server has to decide whether to update. */
function desired(opts: RetentionScheduleOptions) {
  const input: PurgeInput = {
    payloadRetentionMs: opts.retention.payloadMs,
    logRetentionMs: opts.retention.logMs,
    batchSize: opts.batchSize ?? DEFAULT_PURGE_BATCH_SIZE,
  };
  return { input, everyMs: PURGE_INTERVAL_MS, taskQueue: opts.taskQueue };
}

export async function ensureRetentionSchedule(
  client: Client,
  opts: RetentionScheduleOptions,
): Promise<'created' | 'updated' | 'unchanged'> {
  const scheduleId = opts.scheduleId ?? retentionScheduleId(opts.taskQueue);
  const want = desired(opts);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: WorkflowType.purge,
    workflowId: purgeWorkflowId(scheduleId),
    taskQueue: want.taskQueue,
    args: [want.input] as Parameters<PurgeWorkflow>,
    workflowExecutionTimeout: '1 day',
  };
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: want.everyMs }] },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
      memo: { purpose: 'Deletes payloads after PAYLOAD_RETENTION and delivery log rows after LOG_RETENTION' },
    });
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(scheduleId);
  const current = await handle.describe();
  const same =
    current.action.type === 'startWorkflow' &&
    current.action.workflowType === action.workflowType &&
    current.action.taskQueue === action.taskQueue &&
    JSON.stringify(current.action.args) === JSON.stringify(action.args) &&
    current.spec.intervals?.length === 1 &&
    current.spec.intervals[0]!.every === want.everyMs &&
    (current.spec.calendars?.length ?? 0) === 0 &&
    current.policies.overlap === ScheduleOverlapPolicy.SKIP;
  if (same) return 'unchanged';
  await handle.update((prev) => ({
    ...prev,
    spec: { intervals: [{ every: want.everyMs }] },
    action,
    policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP },
  }));
  return 'updated';
}

/** What `migrate` and dev mode run: the schedule for this config, and a log line saying what changed. */
export async function setUpRetentionSchedule(
  client: Client,
  config: { temporal: { taskQueue: string }; retention: { payloadMs: number; logMs: number } },
  logger: { info(obj: object, msg: string): void },
): Promise<void> {
  // The schedule's arguments are retention settings, no personal data: they go unencrypted, so that any process can
  // read and compare them whatever its TEMPORAL_PAYLOAD_KEYS (after a rotation dropped a key, or with encryption off).
  const clear = new Client({ connection: client.connection, namespace: client.options.namespace });
  const outcome = await ensureRetentionSchedule(clear, {
    taskQueue: config.temporal.taskQueue,
    retention: config.retention,
  });
  logger.info(
    { schedule_id: retentionScheduleId(config.temporal.taskQueue), outcome },
    `retention schedule ${outcome}`,
  );
}
