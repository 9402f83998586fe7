/**
 * The fault schedule: worker SIGKILLs, a Temporal restart and a Postgres restart, each once the sender has got far
 * enough, with a gap between them so each is seen on its own.
 */
import type { Db } from '../../src/db/pool';
import type { DevServer } from '../../src/temporal/dev-server';
import { type Cleanup, log, seconds, sinceStart, sleep, waitUntil } from './common';
import type { Options } from './options';
import { type ChaosDatabase, execFileAsync, findPostgresCluster, type Service, stopTemporal } from './stack';

export type FaultKind = 'worker-kill' | 'temporal-restart' | 'postgres-restart';

export interface Fault {
  kind: FaultKind;
  /** ms since the run started. */
  start: number;
  end: number;
  detail: string;
}

/** Faults happen in this order, each once the sender has finished this fraction of the events. */
const FAULT_PLAN: Array<{ at: number; kind: FaultKind }> = [
  { at: 0.1, kind: 'worker-kill' },
  { at: 0.3, kind: 'temporal-restart' },
  { at: 0.45, kind: 'worker-kill' },
  { at: 0.6, kind: 'postgres-restart' },
  { at: 0.8, kind: 'worker-kill' },
];
/** Least time between the end of one fault and the start of the next, so each is seen on its own. */
const FAULT_GAP_MS = 5_000;
/** Pause between a SIGKILLed worker's death and its restart, and between Temporal's stop and start. */
const RESTART_PAUSE_MS = 2_000;

export interface FaultTargets {
  opts: Options;
  cleanup: Cleanup;
  worker: Service;
  temporal: DevServer;
  db: ChaosDatabase;
  /** Our own pool, to see Postgres back after its restart. */
  pool: Db;
  /** Events the sender has finished so far. */
  sent: () => number;
}

/** What became of the Postgres restart, for the report: done, skipped (and why), or not attempted. */
type PostgresOutcome = { done: false; status: string } | { done: true; status: string; detail: string };

async function restartPostgres(targets: FaultTargets): Promise<PostgresOutcome> {
  const { db, opts, pool } = targets;
  if (db.kind === 'pglite')
    return { done: false, status: 'skipped: embedded PGlite (no DATABASE_URL) runs inside this process' };
  if (!opts.postgresRestart) return { done: false, status: 'skipped: --no-postgres-restart' };
  const cluster = await findPostgresCluster(db.serverUrl!);
  if ('skip' in cluster) return { done: false, status: `skipped: ${cluster.skip}` };
  try {
    await execFileAsync('pg_ctlcluster', [cluster.version, cluster.name, 'restart'], { timeout: 120_000 });
  } catch (error) {
    const message = ((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n')[0];
    // Never leave the server down.
    await execFileAsync('pg_ctlcluster', [cluster.version, cluster.name, 'start'], { timeout: 60_000 }).catch(
      () => undefined,
    );
    return {
      done: false,
      status: `skipped: pg_ctlcluster ${cluster.version} ${cluster.name} restart failed: ${message}`,
    };
  }
  await waitUntil('Postgres back', 60_000, async () => {
    await pool.query('SELECT 1');
    return true;
  });
  return {
    done: true,
    status: `done: pg_ctlcluster ${cluster.version} ${cluster.name} restart`,
    detail: `pg_ctlcluster ${cluster.version} ${cluster.name} restart`,
  };
}

/** Runs the whole plan (or until cleanup starts); returns the faults as they happened. */
export async function injectFaults(targets: FaultTargets): Promise<{ faults: Fault[]; postgresRestart: string }> {
  const { opts, cleanup, worker, temporal } = targets;
  const faults: Fault[] = [];
  let postgresRestart = 'not attempted';
  let lastEnd = 0;
  for (const step of FAULT_PLAN) {
    await waitUntil(
      `progress ${step.at}`,
      30 * 60_000,
      async () => cleanup.stopping || (targets.sent() >= step.at * opts.events && Date.now() - lastEnd >= FAULT_GAP_MS),
      200,
    );
    if (cleanup.stopping) break;
    const start = sinceStart();
    let detail = '';
    switch (step.kind) {
      case 'worker-kill': {
        const pid = worker.pid;
        await worker.kill();
        await sleep(RESTART_PAUSE_MS);
        await worker.start();
        detail = `SIGKILL pid ${pid}, restarted after ${RESTART_PAUSE_MS / 1000}s pause`;
        break;
      }
      case 'temporal-restart': {
        await stopTemporal(temporal);
        await sleep(RESTART_PAUSE_MS);
        await temporal.restart();
        detail = `SIGTERM, restarted on the same SQLite file and port`;
        break;
      }
      case 'postgres-restart': {
        const outcome = await restartPostgres(targets);
        postgresRestart = outcome.status;
        if (!outcome.done) {
          log(postgresRestart);
          continue;
        }
        detail = outcome.detail;
        break;
      }
    }
    const end = sinceStart();
    lastEnd = Date.now();
    faults.push({ kind: step.kind, start, end, detail });
    log(`fault: ${step.kind} (${detail}) took ${seconds(end - start)}s`);
  }
  return { faults, postgresRestart };
}
