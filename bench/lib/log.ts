/**
 * The benchmark's progress on stderr, with the seconds since it started: stdout stays free for the children's
 * `ready` lines and a long run can be followed as it goes.
 */
import { nowMs, round } from './common';
import type { StepResult } from './load';

const started = nowMs();

/** Seconds since the benchmark process started. */
export function elapsedS(): number {
  return (nowMs() - started) / 1000;
}

export function log(message: string): void {
  process.stderr.write(`[bench ${elapsedS().toFixed(1).padStart(6)} s] ${message}\n`);
}

/** A logger for the steps of one ramp, prefixed with what is measured. */
export function logStep(label: string): (step: StepResult) => void {
  return (s) =>
    log(
      `  ${label} @ ${s.rate}/s: ${s.pass ? 'pass' : 'FAIL'} e2e p50 ${round(s.e2eMs.p50)} p99 ${round(s.e2eMs.p99)} ms, ingest p99 ${round(s.ingestMs.p99)} ms, ` +
        `errors ${round(s.errorRate * 100, 2)}% (${s.reason})`,
    );
}
