/**
 * `--compare FILE`: this run's chat-webhooks figures beside an earlier results file's, with bare-temporal from both
 * runs to show how much the machine's conditions moved between them.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import type { StepResult } from '../lib/load';
import { PACKAGE_ROOT } from '../lib/procs';
import { change, cpuTotal, f, mark, maxCell, maxChange, ms, pct, perWorkflowCounts, throughputVerdict } from './cells';
import type { BenchResults, SystemResult } from './results';

export interface Comparison {
  file: string;
  results: BenchResults;
  /** Commits from the earlier run's to this run's, when git could tell. */
  commitsBetween?: number;
}

/**
 * Reads the earlier results file for a run of `sha`. Throws when it cannot: the comparison was asked for, and a run
 * reads it before measuring, so a wrong path costs nothing.
 */
export function loadComparison(file: string, sha: string): Comparison {
  const resolved = path.resolve(file);
  const results = JSON.parse(fs.readFileSync(resolved, 'utf8')) as BenchResults;
  let commitsBetween: number | undefined;
  try {
    const count = execFileSync('git', ['rev-list', '--count', `${results.meta.sha}..${sha}`], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    commitsBetween = Number(count.trim()) || undefined;
  } catch {
    // No git, or a sha it does not know: the report says less.
  }
  return { file: resolved, results, commitsBetween };
}

/** The comparison section's body (its heading is the caller's). */
export function comparisonSection(r: BenchResults, comparison: Comparison): string[] {
  const name = path.basename(comparison.file);
  const p = comparison.results;
  if (p.meta.sha === r.meta.sha) return [`This run is ${name} itself: nothing to compare with.`];
  const now = r.systems.find((s) => s.name === 'chat-webhooks');
  const nowBare = r.systems.find((s) => s.name === 'bare-temporal');
  const before = p.systems.find((s) => s.name === 'chat-webhooks');
  const beforeBare = p.systems.find((s) => s.name === 'bare-temporal');
  if (!now?.resources || !now.half || !before?.resources || !before.half)
    return [`chat-webhooks was not measured in ${now?.resources ? name : 'this run'}: no comparison.`];
  const bc = before.resources.cpuMsPerEvent;
  const nc = now.resources.cpuMsPerEvent;
  const ratio = (chat: SystemResult, bare: SystemResult | undefined) =>
    chat.max && bare?.max ? chat.max / bare.max : undefined;
  const ratioBefore = ratio(before, beforeBare);
  const ratioNow = ratio(now, nowBare);
  const ratioCell = (value: number | undefined, chat: SystemResult, bare: SystemResult | undefined) =>
    value === undefined ? '–' : `${f(value, 2)} × (${maxCell(chat)} / ${bare ? maxCell(bare) : '–'})`;
  const latency = (h: StepResult, which: 'e2eMs' | 'ingestMs') =>
    `${ms(h[which].p50)} / ${ms(h[which].p99)}${which === 'e2eMs' ? ` (at ${h.rate}/s)` : ''}`;
  const bb = before.breakdown;
  const nb = now.breakdown;
  const conversationCell = (s: SystemResult) => {
    const c = s.conversationBreakdown;
    if (!c) return 'none (idle timer off)';
    return `1 per ${s.eventsPerConversation ?? '?'} events; so far each: ${perWorkflowCounts(c)}`;
  };
  const rows: Array<[string, string, string, string]> = [
    ['Max sustained events/s', maxCell(before), maxCell(now), maxChange(before, now)],
    [
      'bare-temporal max events/s, same run',
      beforeBare ? maxCell(beforeBare) : '–',
      nowBare ? maxCell(nowBare) : '–',
      maxChange(beforeBare, nowBare),
    ],
    [
      'Ratio to bare-temporal, same run',
      ratioCell(ratioBefore, before, beforeBare),
      ratioCell(ratioNow, now, nowBare),
      [before, beforeBare, now, nowBare].some((s) => s?.capped)
        ? '– (a maximum is capped)'
        : change(ratioBefore, ratioNow),
    ],
    [
      'e2e p50 / p99 at 50% (ms)',
      latency(before.half, 'e2eMs'),
      latency(now.half, 'e2eMs'),
      `${change(before.half.e2eMs.p50, now.half.e2eMs.p50)} / ${change(before.half.e2eMs.p99, now.half.e2eMs.p99)}`,
    ],
    [
      'Ingest p50 / p99 (ms)',
      latency(before.half, 'ingestMs'),
      latency(now.half, 'ingestMs'),
      `${change(before.half.ingestMs.p50, now.half.ingestMs.p50)} / ${change(before.half.ingestMs.p99, now.half.ingestMs.p99)}`,
    ],
    ['CPU ms per event: API', f(bc.api), f(nc.api), change(bc.api, nc.api)],
    ['CPU ms per event: worker', f(bc.worker), f(nc.worker), change(bc.worker, nc.worker)],
    [
      'CPU ms per event: Temporal',
      f(bc.engines.temporal),
      f(nc.engines.temporal),
      change(bc.engines.temporal, nc.engines.temporal),
    ],
    [
      'CPU ms per event: Postgres',
      f(bc.engines.postgres),
      f(nc.engines.postgres),
      change(bc.engines.postgres, nc.engines.postgres),
    ],
    ['CPU ms per event: all together', f(cpuTotal(bc)), f(cpuTotal(nc)), change(cpuTotal(bc), cpuTotal(nc))],
    [
      'Workflow tasks per chat-event workflow',
      f(bb?.workflowTasksPerWorkflow),
      f(nb?.workflowTasksPerWorkflow),
      change(bb?.workflowTasksPerWorkflow, nb?.workflowTasksPerWorkflow),
    ],
    [
      'Activities per chat-event workflow',
      f(bb?.activitiesPerWorkflow),
      f(nb?.activitiesPerWorkflow),
      change(bb?.activitiesPerWorkflow, nb?.activitiesPerWorkflow),
    ],
    [
      'Local activities per chat-event workflow',
      bb?.localActivitiesPerWorkflow === undefined ? 'not counted' : f(bb.localActivitiesPerWorkflow),
      f(nb?.localActivitiesPerWorkflow),
      '–',
    ],
    [
      'History events per chat-event workflow',
      f(bb?.historyEventsPerWorkflow, 0),
      f(nb?.historyEventsPerWorkflow, 0),
      change(bb?.historyEventsPerWorkflow, nb?.historyEventsPerWorkflow),
    ],
    ['Conversation idle-timer workflows', conversationCell(before), conversationCell(now), '–'],
    [
      'Postgres transactions per event',
      f(before.dbPerEvent?.xacts),
      f(now.dbPerEvent?.xacts),
      change(before.dbPerEvent?.xacts, now.dbPerEvent?.xacts),
    ],
  ];
  const sameMachine = p.meta.machine.cpu === r.meta.machine.cpu && p.meta.machine.cores === r.meta.machine.cores;
  const out: string[] = [
    ...(r.meta.quick || p.meta.quick
      ? [
          "**A quick run is on one side** (1.5 s steps at a few fixed rates): its figures cannot be compared with a full run's, so the changes below mean nothing.",
          '',
        ]
      : []),
    `| chat-webhooks | before: ${path.basename(comparison.file, '.json')} | now: ${r.meta.sha} | change |`,
    '|---|---|---|---:|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `- **"Before" is not from this run.** It is ${path.relative(PACKAGE_ROOT, comparison.file)}, an earlier ${p.meta.quick ? 'quick' : 'full'} run ` +
      (sameMachine
        ? `on the same machine (${r.meta.machine.cpu}, ${r.meta.machine.cores} cores)`
        : `on another machine (${p.meta.machine.cpu}, ${p.meta.machine.cores} cores)`) +
      `, started ${p.meta.startedAt.slice(0, 16).replace('T', ' ')} UTC with the machine ${pct(p.meta.busyBeforeStart)} busy (this run: ${pct(r.meta.busyBeforeStart)})` +
      (comparison.commitsBetween
        ? `, ${comparison.commitsBetween} commits before this one (${p.meta.sha} to ${r.meta.sha})`
        : '') +
      '. Whatever else the machine was doing differs between the two; bare-temporal, the engine alone, shows how much: ' +
      `${beforeBare ? maxCell(beforeBare) : '–'} events/s then, ${nowBare ? maxCell(nowBare) : '–'} now. Latencies are at each run's own 50% rate.`,
  ];
  const p99 = (s: SystemResult) => s.half?.e2eMs.p99;
  const ingest = (s: SystemResult) => s.half?.ingestMs.p99;
  out.push(
    `- **Targets.** Throughput ≥ 0.9 × bare-temporal in the same run: ${ratioBefore === undefined ? '–' : f(ratioBefore, 2)} × before, ` +
      `${ratioNow === undefined ? '–' : f(ratioNow, 2)} × now: ${throughputVerdict(now, nowBare)}. ` +
      `End-to-end p99 ≤ 200 ms at 50%: ${ms(p99(before))} ms before, ${ms(p99(now))} ms now: ${mark(p99(now) === undefined ? undefined : p99(now)! <= 200)}. ` +
      `Ingest p99 ≤ 15 ms: ${ms(ingest(before))} ms before, ${ms(ingest(now))} ms now: ${mark(ingest(now) === undefined ? undefined : ingest(now)! <= 15)}.`,
  );
  return out;
}
