/**
 * The results of a run as files: JSON with every figure, the Markdown report assembled from its sections, and the
 * chart (PNG and SVG). With a comparison (--compare), the report sets chat-webhooks' figures beside an earlier run's.
 */
import fs from 'node:fs';
import path from 'node:path';

import { f, ms, pct } from './cells';
import { renderChart } from './chart';
import { type Comparison, comparisonSection } from './compare';
import { makingItFastSection } from './making-it-fast';
import { recommendations } from './recommendations';
import type { BenchResults } from './results';
import { engineWorkTable, fairnessTable, fanoutTable, retriesTable, systemTable, targetsTable } from './tables';
import { whereTimeGoesSection } from './where-time-goes';

function header(r: BenchResults): string[] {
  const m = r.meta;
  return [
    `# Benchmark ${m.date} (${m.sha}${m.dirty ? ', with uncommitted changes' : ''})${m.quick ? ' — QUICK RUN: tiny sizes, figures are not meaningful' : ''}`,
    '',
    `Command: \`${m.command}\`${process.env.DATABASE_URL ? ' with `DATABASE_URL` set' : ''} — took ${Math.round(m.durationS)} s.`,
    '',
    `Machine: ${m.machine.cpu}, ${m.machine.cores} cores, ${m.machine.memoryGb} GB memory, ${m.machine.os}, Node ${m.machine.node}.`,
    `Temporal: ${m.infra.temporal}. Postgres: ${m.infra.postgres}. Redis: ${m.infra.redis}.`,
    'Everything (load generator, receiver, systems, Temporal, Postgres, Redis) shares this one machine. ' +
      `Before the run the machine was ${pct(m.busyBeforeStart)} busy (1-minute load average ${f(m.loadAverage.start, 2)} at the start, ${f(m.loadAverage.end, 2)} at the end)` +
      (m.busyBeforeStart > 0.2
        ? ': **other work was running, so these figures understate what a quiet machine does**.'
        : '.'),
  ];
}

function resultsSection(r: BenchResults, chartFile: string | undefined): string[] {
  const limits = r.meta.limits;
  return [
    '## Results',
    '',
    ...systemTable(r),
    '',
    `Max sustained: the highest open-loop rate at which a ${r.systems[0]?.ramp?.steps[0]?.durationS ?? '?'} s step kept **p99 end-to-end ≤ ${limits.e2eP99Ms} ms** and **errors ≤ ${limits.errorRate * 100}%** ` +
      '(ingest errors, events dropped past ' +
      `${limits.maxOutstanding} requests in flight, and events not fully delivered once the receiver went quiet). ` +
      'Rates rise ×2 until a step fails, then bisect; "+" means the highest rate tried still passed. End-to-end: from the intended start of the ingest call ' +
      'to the receiver having the whole body (CLOCK_MONOTONIC in both processes). CPU: user+system time from /proc during the 50% run, per accepted event; ' +
      'engine = the Temporal dev server, the Postgres backends serving the bench database, Redis. Peak RSS: VmHWM. ' +
      'All five systems run their TypeScript through tsx, as bin/chat-webhooks.js does in a checkout.',
    '',
    ...(chartFile ? [`![Latency against offered load](${path.basename(chartFile)})`, ''] : []),
  ];
}

function conditionsSection(r: BenchResults): string[] {
  const c = r.conditions;
  if (!c) return ['not run'];
  return [
    `${c.events} \`message_sent\` events (5 per conversation) to an app with 3 webhooks carrying 5 conditions (2 + 2 + 1), judged by the fake ` +
      'OpenAI-compatible server (support/fake-llm.ts), which matches `cond_a1` every time.',
    '',
    `- LLM calls: **${c.llmCalls}** for ${c.accepted} accepted events = **${f(c.callsPerEvent, 2)} per event** (expected 1.0).`,
    `- Conditions judged per call: ${f(c.conditionsPerCall, 2)} (5 on a conversation's first event; 4 after \`cond_a1\` fired once per conversation).`,
    `- Condition deliveries received: ${c.conditionDeliveries} (expected ${c.expectedConditionDeliveries}: once per conversation).`,
    `- Message deliveries: e2e p50 ${ms(c.step.e2eMs.p50)} ms, p99 ${ms(c.step.e2eMs.p99)} ms at ${c.step.rate} events/s.`,
    ...(c.prefiltered
      ? [
          `- **Prefiltered** (the same webhooks, with CEL prefilters that refuse four of the five conditions before the LLM): ${c.prefiltered.llmCalls} LLM calls for ${c.prefiltered.accepted} events (${f(c.prefiltered.callsPerEvent, 2)} per event, expected about ${c.prefiltered.expectedLlmCalls}), ${c.prefiltered.conditionDeliveries} condition deliveries.`,
        ]
      : []),
  ];
}

export function renderMarkdown(r: BenchResults, chartFile: string | undefined, comparison?: Comparison): string {
  const out: string[] = [
    ...header(r),
    '',
    ...resultsSection(r, chartFile),
    ...(r.productionStack
      ? [
          '## On the production stack (`--stack production`)',
          '',
          `The same measurements on \`npm run stack\`'s Temporal server 1.32.2, built from its Go module, with persistence and visibility on its own PostgreSQL 15 (which also holds chat-webhooks' data), in the same run as the dev-server rows above (${Math.round(r.productionStack.seconds)} s).`,
          '',
          ...systemTable({ ...r, systems: r.productionStack.systems }),
          '',
          ...engineWorkTable({ ...r, systems: r.productionStack.systems }),
          '',
        ]
      : []),
    '## Engine work per event',
    '',
    ...engineWorkTable(r),
    '',
    'From the histories of events sampled in each 50% run; CPU over that run, per accepted event (engine: the Temporal dev server).',
    '',
    '## Targets',
    '',
    ...targetsTable(r),
    '',
    ...(comparison
      ? [`## Compared with ${path.basename(comparison.file, '.json')}`, '', ...comparisonSection(r, comparison), '']
      : []),
    '## chat-webhooks: fan-out',
    '',
    'One event to N webhooks, each webhook on its own receiver port (a distinct endpoint, as distinct customers are).',
    '',
    ...fanoutTable(r),
    '',
    '## chat-webhooks: the slow path (10% of first attempts retried)',
    '',
    ...retriesTable(r),
    '',
    '## Tenants: one app floods, another waits (task-queue fairness)',
    '',
    ...fairnessTable(r),
    '',
    '## chat-webhooks: LLM calls per event',
    '',
    ...conditionsSection(r),
    '',
    ...makingItFastSection(r),
    ...whereTimeGoesSection(r),
    '',
    '## Recommendations (code changes, not made by the benchmark)',
    '',
    ...recommendations(r),
    '',
  ];
  if (r.notes.length) out.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  if (r.receiver) {
    out.push(
      `Receiver: ${r.receiver.requests} requests; ${r.receiver.verified} sampled signatures verified with standardwebhooks, ${r.receiver.invalid} failed; ${r.receiver.unparsable} bodies without an event_id.`,
      '',
    );
  }
  return out.join('\n');
}

/** Writes <base>.json, .md, .png and .svg into `dir`; returns the files written. */
export async function writeReport(
  r: BenchResults,
  dir: string,
  base: string,
  comparison?: Comparison,
): Promise<string[]> {
  const files: string[] = [];
  let chartFile: string | undefined;
  try {
    const chart = await renderChart(r);
    if (chart) {
      chartFile = path.join(dir, `${base}.png`);
      fs.writeFileSync(chartFile, chart.png);
      fs.writeFileSync(path.join(dir, `${base}.svg`), chart.svg);
      files.push(chartFile, path.join(dir, `${base}.svg`));
    }
  } catch (error) {
    r.notes.push(`The chart could not be drawn: ${(error as Error).message}`);
  }
  const json = path.join(dir, `${base}.json`);
  fs.writeFileSync(
    json,
    `${JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
  const md = path.join(dir, `${base}.md`);
  fs.writeFileSync(md, `${renderMarkdown(r, chartFile, comparison)}\n`);
  return [md, json, ...files];
}
