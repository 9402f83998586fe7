/**
 * The eager-start section: chat-webhooks in one process with eager workflow start off and on, against the separate
 * processes of the settings baseline, and whether the figures justify it.
 */
import { change, f, ms, pct, phase, rates } from './cells';
import type { BenchResults, ToggleResult } from './results';

/** One row of the eager-start table: a variant with its CPU, rate held, latencies, first-task wait and eager starts. */
function eagerRow(label: string, t: ToggleResult, oneProcess: boolean): string {
  const b = t.atBase ?? t.steps[0];
  const c = t.cpuMsPerEvent;
  const wait = phase(t.breakdown, 'workflow task 1: wait for worker');
  const starts = t.starts
    ? `${t.starts.eagerlyStarted} of ${t.starts.started}`
    : oneProcess
      ? '–'
      : 'impossible (no shared connection)';
  return (
    `| ${label} | ${t.maxEventsPerS}${t.allPassed ? '+' : ''} | ${b ? `${ms(b.e2eMs.p50)} / ${ms(b.e2eMs.p99)} (at ${b.rate}/s)` : '–'} | ` +
    `${b ? `${ms(b.ingestMs.p50)} / ${ms(b.ingestMs.p99)}` : '–'} | ${b ? pct(b.errorRate) : '–'} | ` +
    `${f(c.total, 1)} (${oneProcess ? f(c.api, 1) : `${f(c.api, 1)} + ${f(c.worker, 1)}`} / ${f(c.engines, 1)}) | ` +
    `${wait ? `${ms(wait.p50)} / ${ms(wait.p95)}` : '–'} | ${starts} |`
  );
}

export function eagerSection(r: BenchResults): string[] {
  const rows = r.optimisations.singleProcess ?? [];
  const off = rows.find((t) => !t.value.eager);
  const on = rows.find((t) => t.value.eager);
  const base = r.optimisations.baseline;
  if (!off || !on) return ['Not measured in this run.'];
  const out = [
    'Eager start: the server hands a new workflow its first workflow task in the answer to the start call, to a worker on the same connection, instead of ' +
      'queueing it for a poller. The TypeScript SDK (1.24) does it only for a Client built on the NativeConnection of a worker in the same process. ' +
      'Production runs `api` and `worker` as separate processes, so it cannot be used there. `chat-webhooks dev` (`npm start`) runs both in one process: ' +
      "its API shares the worker's NativeConnection and asks for eager start (src/cli/serve.ts, src/services/events.ts; the suite " +
      'checks `eagerly_started` in its log). These rows run bench/systems/chat-webhooks-single-process.ts, which wires the same way with the ' +
      "production settings of the other rows: the API and the worker started through the composition root in one process, the API's Client on " +
      "the worker's NativeConnection (conversation timers have their own client, as in dev), and, " +
      'for "on", a client interceptor that adds `requestEagerStart: true` to chat-event workflow ' +
      'starts and counts what the server answered. ' +
      `Each row is a fresh dev server, a short ramp at ${rates(on)} events/s; histories sampled at the main run's maximum. The baseline row is ` +
      'the restarted baseline of the settings table, measured earlier in this run; the two one-process rows ran back to back.',
    '',
    "| Variant | Highest rate that held | e2e p50 / p99 (ms) | Ingest p50 / p99 (ms) | Errors | CPU ms per event (API + worker / Temporal + Postgres) | First workflow task's wait for a worker, p50 / p95 (ms) | Chat-event workflows started eagerly |",
    '|---|---:|---|---|---:|---|---|---:|',
    ...(base ? [eagerRow('baseline: separate `api` and `worker` processes', base, false)] : []),
    eagerRow('one process, eager start off', off, true),
    eagerRow('one process, eager start on', on, true),
    '',
  ];
  const honoured = on.starts ? on.starts.eagerlyStarted > 0 : undefined;
  const at = (t: ToggleResult) => t.atBase ?? t.steps[0];
  const p50Off = at(off)?.e2eMs.p50;
  const p50On = at(on)?.e2eMs.p50;
  const cpuGain = (off.cpuMsPerEvent.total - on.cpuMsPerEvent.total) / Math.max(0.001, off.cpuMsPerEvent.total);
  const latencyGain = p50Off !== undefined && p50On !== undefined ? (p50Off - p50On) / Math.max(0.001, p50Off) : 0;
  // Worth a product change only if the server honoured it, it cost no rate and no more than noise in CPU, and it
  // saved CPU or latency clearly.
  const keep =
    honoured === true &&
    on.maxEventsPerS >= off.maxEventsPerS &&
    cpuGain > -0.05 &&
    (cpuGain >= 0.05 || latencyGain >= 0.1);
  const criterion =
    'Criterion: the server started workflows eagerly, the variant held at least the rate it held without, CPU per event rose less than 5%, and either ' +
    'CPU per event fell 5% or e2e p50 fell 10%.';
  out.push(
    `- **Did the dev server honour it?** ${
      on.starts
        ? `${on.starts.eagerlyStarted} of ${on.starts.started} chat-event workflows were started eagerly (\`eagerlyStarted\` in the start response)` +
          (on.starts.eagerlyStarted < on.starts.started
            ? '; the SDK asks only while the worker has a free workflow-task slot, and the server may decline'
            : '') +
          '.'
        : 'not recorded.'
    }`,
    `- **Eager start against the same process without it:** CPU per event ${f(off.cpuMsPerEvent.total, 1)} → ${f(on.cpuMsPerEvent.total, 1)} ms ` +
      `(${change(off.cpuMsPerEvent.total, on.cpuMsPerEvent.total)}), e2e p50 ${ms(p50Off)} → ${ms(p50On)} ms (${change(p50Off, p50On)}), highest rate held ` +
      `${off.maxEventsPerS}${off.allPassed ? '+' : ''} → ${on.maxEventsPerS}${on.allPassed ? '+' : ''} events/s, first task's wait p50 ` +
      `${ms(phase(off.breakdown, 'workflow task 1: wait for worker')?.p50)} → ${ms(phase(on.breakdown, 'workflow task 1: wait for worker')?.p50)} ms.` +
      (base
        ? ` One process instead of two, without eager start, against the baseline: CPU per event ${f(base.cpuMsPerEvent.total, 1)} → ${f(off.cpuMsPerEvent.total, 1)} ms ` +
          `(${change(base.cpuMsPerEvent.total, off.cpuMsPerEvent.total)}).`
        : ''),
    `- **Verdict: ${keep ? 'keep, for `chat-webhooks dev` only' : 'reject'}${r.meta.quick ? ' (quick run: not meaningful)' : ''}.** ${criterion} ` +
      (keep
        ? "Met: **kept** for `chat-webhooks dev` (its API client is built on the worker's NativeConnection and asks for eager start). " +
          "Production's separate processes cannot use it."
        : honoured === false
          ? 'Not met: the dev server started no workflow eagerly, so there is nothing to gain.'
          : "Not met, and it could only ever apply to `chat-webhooks dev`, never to production's separate processes: leave the product as it is."),
  );
  return out;
}
