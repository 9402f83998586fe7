/**
 * The calm phase: the receivers answer 200 to everything, and the run waits until no delivery is pending and every
 * chat-event workflow is closed. Then it reads back what the checks compare: the delivery log and the workflows.
 */
import { Client, Connection } from '@temporalio/client';

import type { Db } from '../../src/db/pool';
import { WorkflowType } from '../../src/temporal/contracts';
import type { AttemptRecord, DeliveryRecord } from './analysis';
import { type Cleanup, log, RUN_START, seconds, waitUntil } from './common';
import type { Options } from './options';
import type { ReceiverSet } from './receivers';

export interface Straggler {
  workflowId: string;
  waitingFor: string;
}

export interface Drained {
  /** False when the drain timeout passed first. */
  drained: boolean;
  calmStart: number;
  drainEnd: number;
  /** When every delivery had finished (0 if that never happened while workflows still ran). */
  deliveredAt: number;
  /** Workflows still running after every delivery finished: what they wait for, described once. */
  stragglers: Straggler[];
  deliveries: DeliveryRecord[];
  attempts: AttemptRecord[];
  eventRows: number;
  workflows: { completed: number; running: number; other: number };
}

export async function drainAndGather(input: {
  opts: Options;
  cleanup: Cleanup;
  pool: Db;
  temporalAddress: string;
  appId: string;
  receivers: ReceiverSet;
}): Promise<Drained> {
  const { opts, cleanup, pool, appId } = input;
  input.receivers.mode = 'calm';
  const calmStart = Date.now();
  log('receivers now answer 200 to everything; waiting for the deliveries to finish');
  const connection = await Connection.connect({ address: input.temporalAddress });
  cleanup.add('Temporal client', () => connection.close());
  const client = new Client({ connection });
  const countWorkflows = async (status?: string) =>
    (
      await client.workflow.count(
        `WorkflowType = '${WorkflowType.chatEvent}' AND AppId = '${appId}'${status ? ` AND ExecutionStatus = '${status}'` : ''}`,
      )
    ).count;
  const expectedDeliveries = opts.events * opts.webhooks;
  let lastReport = 0;
  let drained = true;
  let deliveredAt = 0;
  const stragglers: Straggler[] = [];
  const describeStragglers = async () => {
    const query = `WorkflowType = '${WorkflowType.chatEvent}' AND AppId = '${appId}' AND ExecutionStatus = 'Running'`;
    for await (const execution of client.workflow.list({ query })) {
      if (stragglers.length >= 5) break;
      const described = await client.workflow.getHandle(execution.workflowId).describe();
      const waitingFor = (described.raw.pendingActivities ?? []).map((a) => {
        const started = a.lastStartedTime?.seconds ? Number(a.lastStartedTime.seconds) * 1000 : null;
        return `${a.activityType?.name ?? '?'} (attempt ${a.attempt ?? '?'}, state ${a.state ?? '?'}${started ? `, started ${seconds(started - RUN_START)}s` : ''})`;
      });
      stragglers.push({
        workflowId: execution.workflowId,
        waitingFor: waitingFor.length ? waitingFor.join(', ') : 'no pending activity (timer or workflow task)',
      });
    }
    for (const s of stragglers)
      log(`still running after every delivery finished: ${s.workflowId} waits for ${s.waitingFor}`);
  };
  try {
    await waitUntil(
      'every delivery finished and every workflow closed',
      opts.drainTimeoutMs,
      async () => {
        const { rows } = await pool.query<{ total: number; pending: number }>(
          `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'pending')::int AS pending FROM deliveries WHERE app_id = $1`,
          [appId],
        );
        const { total, pending } = rows[0]!;
        const running = await countWorkflows('Running');
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          log(
            `drain: ${total}/${expectedDeliveries} deliveries created, ${pending} pending, ${running} workflows running`,
          );
        }
        if (total >= expectedDeliveries && pending === 0 && running > 0) {
          deliveredAt ||= Date.now();
          if (Date.now() - deliveredAt > 15_000 && stragglers.length === 0)
            await describeStragglers().catch((error) => log(`describe: ${(error as Error).message}`));
        }
        return total >= expectedDeliveries && pending === 0 && running === 0;
      },
      1_000,
    );
  } catch (error) {
    drained = false;
    log((error as Error).message);
  }
  const drainEnd = Date.now();
  log(`drain took ${seconds(drainEnd - calmStart)}s`);

  const deliveries = (
    await pool.query<DeliveryRecord>(
      'SELECT id, webhook_id, event_id, status, attempt_count, is_test, condition_id FROM deliveries WHERE app_id = $1',
      [appId],
    )
  ).rows;
  const attempts = (
    await pool.query<AttemptRecord>(
      `SELECT a.delivery_id, a.attempt, a.started_at, a.status_code, a.error_class
       FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.app_id = $1`,
      [appId],
    )
  ).rows;
  const eventRows = (
    await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE app_id = $1', [appId])
  ).rows[0]!.n;
  const total = await countWorkflows();
  const completed = await countWorkflows('Completed');
  const running = await countWorkflows('Running');
  return {
    drained,
    calmStart,
    drainEnd,
    deliveredAt,
    stragglers,
    deliveries,
    attempts,
    eventRows,
    workflows: { completed, running, other: total - completed - running },
  };
}
