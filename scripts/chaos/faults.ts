/**
 * The fault schedule: worker SIGKILLs, a Temporal restart and a Postgres restart (and, on the production stack, an
 * api process SIGKILLed), each once the sender has got far enough, with a gap between them so each is seen on its own.
 */
import { type Cleanup, log, seconds, sinceStart, waitUntil } from './common';
import type { Options } from './options';

export type FaultKind = 'worker-kill' | 'temporal-restart' | 'postgres-restart' | 'api-kill';

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
  // Only where there is a second api to take the load (the production stack).
  { at: 0.7, kind: 'api-kill' },
  { at: 0.8, kind: 'worker-kill' },
];
/** Least time between the end of one fault and the start of the next, so each is seen on its own. */
const FAULT_GAP_MS = 5_000;
/** Pause between a SIGKILLed worker's death and its restart, and between Temporal's stop and start. */
export const RESTART_PAUSE_MS = 2_000;

/** What became of the Postgres restart, for the report: done, skipped (and why), or not attempted. */
export type PostgresOutcome = { done: false; status: string } | { done: true; status: string; detail: string };

/** How each fault is done on the stack at hand (the dev server's or the production stack); each returns its detail. */
export interface FaultTargets {
  opts: Options;
  cleanup: Cleanup;
  killWorker(): Promise<string>;
  restartTemporal(): Promise<string>;
  restartPostgres(): Promise<PostgresOutcome>;
  /** undefined: a stack with one api, where killing it is no test of failover. */
  killApi?: () => Promise<string>;
  /** Events the sender has finished so far. */
  sent: () => number;
}

/** Runs the whole plan (or until cleanup starts); returns the faults as they happened. */
export async function injectFaults(targets: FaultTargets): Promise<{ faults: Fault[]; postgresRestart: string }> {
  const { opts, cleanup } = targets;
  const faults: Fault[] = [];
  let postgresRestart = 'not attempted';
  let lastEnd = 0;
  for (const step of FAULT_PLAN) {
    if (step.kind === 'api-kill' && !targets.killApi) continue;
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
      case 'worker-kill':
        detail = await targets.killWorker();
        break;
      case 'temporal-restart':
        detail = await targets.restartTemporal();
        break;
      case 'api-kill':
        detail = await targets.killApi!();
        break;
      case 'postgres-restart': {
        const outcome = await targets.restartPostgres();
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
