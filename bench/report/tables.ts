/**
 * The report's tables, each from the results alone: one Markdown line per row, header lines first.
 */
import type { Breakdown } from '../lib/history';
import type { ProfileSummary } from '../lib/profile';
import { cpuTotal, engineCell, f, mark, maxCell, ms, pct, perWorkflowCounts, throughputVerdict } from './cells';
import type { BenchResults, SystemResult, ToggleResult } from './results';

export function systemTable(r: BenchResults): string[] {
  const lines = [
    '| System | Max sustained events/s | e2e p50 / p95 / p99 at 50% (ms) | Ingest p50 / p99 (ms) | CPU ms per event: API / worker / engine | Peak RSS MB: API / worker | Notes |',
    '|---|---:|---|---|---|---|---|',
  ];
  for (const s of r.systems) {
    if (s.status !== 'measured') {
      lines.push(`| \`${s.name}\` | skipped | – | – | – | – | ${s.skipReason} |`);
      continue;
    }
    const h = s.half!;
    const res = s.resources!;
    lines.push(
      `| \`${s.name}\` | ${maxCell(s)} | ${ms(h.e2eMs.p50)} / ${ms(h.e2eMs.p95)} / ${ms(h.e2eMs.p99)} (at ${h.rate}/s) | ${ms(h.ingestMs.p50)} / ${ms(h.ingestMs.p99)} | ` +
        `${f(res.cpuMsPerEvent.api, 1)} / ${res.cpuMsPerEvent.worker === undefined ? '(in API)' : f(res.cpuMsPerEvent.worker, 1)} / ${engineCell(res.cpuMsPerEvent.engines)} | ` +
        `${f(res.peakRssMb.api, 0)} / ${res.peakRssMb.worker === undefined ? '–' : f(res.peakRssMb.worker, 0)} | ${s.notes.join('; ')} |`,
    );
  }
  return lines;
}

/** The fast-path issue's targets (14), each against the same run's figures. */
export function targetsTable(r: BenchResults): string[] {
  const sys = (name: string) => r.systems.find((s) => s.name === name && s.status === 'measured');
  const chat = sys('chat-webhooks');
  const bare = sys('bare-temporal');
  const floor = sys('temporal-floor');
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? a / b : undefined);
  const cpu = (s: SystemResult | undefined) => (s?.resources ? cpuTotal(s.resources.cpuMsPerEvent) : undefined);
  const cpuRatio = ratio(cpu(chat), cpu(bare));
  const p50 = [chat?.half?.e2eMs.p50, bare?.half?.e2eMs.p50];
  const ingest = [chat?.half?.ingestMs.p99, bare?.half?.ingestMs.p99];
  const fan50 = r.fanout.find((x) => x.webhooks === 50);
  const rss = chat?.resources?.peakRssMb.worker;
  const le = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a <= b;
  const calls = r.conditions?.callsPerEvent;
  const maxes = (a?: SystemResult, b?: SystemResult) => `${a ? maxCell(a) : '–'} vs ${b ? maxCell(b) : '–'} events/s`;
  return [
    '| Target (issue 14) | Measured | Verdict |',
    '|---|---|---|',
    `| max sustained events/s, chat-webhooks / bare-temporal ≥ 1.3 × | ${maxes(chat, bare)} = ${f(ratio(chat?.max, bare?.max), 2)} × | ${throughputVerdict(chat, bare, 1.3)} |`,
    `| max sustained events/s, chat-webhooks / temporal-floor ≥ 0.8 × | ${maxes(chat, floor)} = ${f(ratio(chat?.max, floor?.max), 2)} × | ${throughputVerdict(chat, floor, 0.8)} |`,
    `| CPU ms per event (all processes), chat-webhooks / bare-temporal ≤ 1.0 × | ${f(cpu(chat), 1)} vs ${f(cpu(bare), 1)} = ${f(cpuRatio, 2)} × | ${mark(cpuRatio === undefined ? undefined : cpuRatio <= 1)} |`,
    `| e2e p50 at 50% load ≤ bare-temporal's | ${ms(p50[0])} vs ${ms(p50[1])} ms | ${mark(le(p50[0], p50[1]))} |`,
    `| ingest p99 ≤ bare-temporal's | ${ms(ingest[0])} vs ${ms(ingest[1])} ms | ${mark(le(ingest[0], ingest[1]))} |`,
    `| fan-out, 50 webhooks: deliveries/s ≥ 400 | ${fan50 ? f(fan50.deliveriesPerS, 0) : '–'} (${fan50 ? `${fan50.maxEventsPerS}${fan50.capped ? '+' : ''}` : '–'} events/s) | ${mark(fan50 ? fan50.deliveriesPerS >= 400 : undefined)} |`,
    `| worker peak RSS at max load ≤ 400 MB | ${f(rss, 0)} MB | ${mark(rss === undefined ? undefined : rss <= 400)} |`,
    `| (issue 7) exactly 1.0 LLM call per event (5 conditions on 3 webhooks) | ${calls === undefined ? '–' : f(calls, 2)} (${r.conditions?.llmCalls ?? '–'} calls for ${r.conditions?.accepted ?? '–'} events) | ${mark(calls === undefined ? undefined : Math.abs(calls - 1) < 1e-9)} |`,
  ];
}

/**
 * What each Temporal system costs the engine per event, from the sampled histories: tasks, local activities and
 * history events, beside the engine's CPU and everything's. chat-webhooks' conversation timers (one workflow per
 * conversation) are added at their share per event.
 */
export function engineWorkTable(r: BenchResults): string[] {
  const lines = [
    '| System | Workflow tasks | Activity tasks | Local activities | History events | Engine CPU ms | All processes CPU ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const name of ['bare-temporal', 'temporal-floor', 'chat-webhooks']) {
    const s = r.systems.find((x) => x.name === name && x.status === 'measured');
    const b = s?.breakdown;
    if (!s || !b || b.workflows === 0) continue;
    const c = s.conversationBreakdown && s.conversationBreakdown.workflows > 0 ? s.conversationBreakdown : undefined;
    const share = c ? 1 / (s.eventsPerConversation ?? 10) : 0;
    const per = (own: number, conv: number | undefined) => own + (conv ?? 0) * share;
    const engine = s.resources?.cpuMsPerEvent.engines.temporal;
    lines.push(
      `| \`${name}\` | ${f(per(b.workflowTasksPerWorkflow, c?.workflowTasksPerWorkflow), 2)} | ${f(per(b.activitiesPerWorkflow, c?.activitiesPerWorkflow), 2)} | ` +
        `${f(per(b.localActivitiesPerWorkflow ?? 0, c?.localActivitiesPerWorkflow), 2)} | ${f(per(b.historyEventsPerWorkflow, c?.historyEventsPerWorkflow), 1)} | ` +
        `${f(engine, 1)} | ${s.resources ? f(cpuTotal(s.resources.cpuMsPerEvent), 1) : '–'} |`,
    );
  }
  return lines;
}

/** The tenants scenario: B's latency alone and during A's burst, fairness off and on; the target is on's p99 ≤ 2 × alone's. */
export function fairnessTable(r: BenchResults): string[] {
  const x = r.fairness;
  if (!x) return ['not run'];
  const alone = x.runs.find((run) => run.variant === 'alone')?.step.e2eMs.p99;
  const on = x.runs.find((run) => run.variant === 'fairness on')?.step.e2eMs.p99;
  return [
    `App A posts ${x.burstEvents} events as fast as the API takes them (32 requests in flight) while app B posts ${x.bRate} events/s; each row is a fresh dev server and fresh processes.`,
    '',
    "| App B | B's events | B e2e p50 / p99 (ms) | B undelivered | A's burst: accepted in (s) |",
    '|---|---:|---|---:|---|',
    ...x.runs.map(
      (run) =>
        `| ${run.variant === 'alone' ? 'alone' : `during A's burst, ${run.variant}`} | ${run.step.accepted} | ${ms(run.step.e2eMs.p50)} / ${ms(run.step.e2eMs.p99)} | ${run.step.undelivered} | ` +
        `${run.burst ? `${run.burst.accepted} in ${f(run.burst.seconds, 1)}${run.burst.errors ? ` (${run.burst.errors} refused)` : ''}` : '–'} |`,
    ),
    '',
    `Target: with fairness on, B's p99 within 2 × its p99 alone: ${ms(on)} against ${ms(alone === undefined ? undefined : alone * 2)} ms, ${mark(on === undefined || alone === undefined ? undefined : on <= 2 * alone)}.`,
  ];
}

/** The slow-path scenario: one first attempt in ten refused and retried. */
export function retriesTable(r: BenchResults): string[] {
  const x = r.retries;
  if (!x) return ['not run'];
  return [
    `The receiver refused the first attempt of one message in ${x.every} (503); RETRY_SCHEDULE's first delay was ${x.retryScheduleS} s, so those deliveries arrive about a second late by design (the p95 and p99 columns).`,
    '',
    '| Rate (events/s) | First attempts refused | Delivered / accepted | e2e p50 / p95 / p99 (ms) | Ingest p99 (ms) | CPU ms per event: API / worker / engine | Per event: workflow tasks, activity tasks, history events |',
    '|---:|---:|---|---|---:|---|---|',
    ...x.steps.map((s) => {
      const st = s.step;
      const b = s.breakdown;
      return (
        `| ${st.rate} | ${s.failedFirst} | ${st.accepted - st.undelivered} / ${st.accepted} | ${ms(st.e2eMs.p50)} / ${ms(st.e2eMs.p95)} / ${ms(st.e2eMs.p99)} | ${ms(st.ingestMs.p99)} | ` +
        `${f(s.cpuMsPerEvent.api, 1)} / ${f(s.cpuMsPerEvent.worker, 1)} / ${engineCell(s.cpuMsPerEvent.engines)} | ` +
        `${b && b.workflows ? `${f(b.workflowTasksPerWorkflow, 2)}, ${f(b.activitiesPerWorkflow, 2)}, ${f(b.historyEventsPerWorkflow, 1)} (${b.workflows} sampled)` : '–'} |`
      );
    }),
  ];
}

/** Rows of a variants table (the header is the caller's: its columns name what the variants change). */
export function toggleRows(rows: Array<ToggleResult & { value: unknown }>, valueOf: (v: unknown) => string): string[] {
  return rows.map((t) => {
    // At the reference rate (the main run's maximum) when the ramp got there, else at the first rate tried.
    const b = t.atBase ?? t.steps[0];
    const c = t.cpuMsPerEvent;
    return (
      `| ${valueOf(t.value)} | ${t.maxEventsPerS}${t.allPassed ? '+' : ''} | ${b ? `${ms(b.e2eMs.p50)} / ${ms(b.e2eMs.p99)} (at ${b.rate}/s)` : '–'} | ` +
      `${b ? ms(b.ingestMs.p99) : '–'} | ${b ? pct(b.errorRate) : '–'} | ${f(c.total, 1)} (${f(c.api, 1)} / ${f(c.worker, 1)} / ${f(c.engines, 1)}) |`
    );
  });
}

export function fanoutTable(r: BenchResults): string[] {
  return [
    '| Webhooks per event | Max events/s | Deliveries/s at that rate | e2e p50 / p99 per delivery (ms) | Ingest p99 (ms) |',
    '|---:|---:|---:|---|---:|',
    ...r.fanout.map(
      (x) =>
        `| ${x.webhooks} | ${x.maxEventsPerS}${x.capped ? '+' : ''} | ${f(x.deliveriesPerS, 0)} | ${x.atMax ? `${ms(x.atMax.e2eMs.p50)} / ${ms(x.atMax.e2eMs.p99)}` : '–'} | ${x.atMax ? ms(x.atMax.ingestMs.p99) : '–'} |`,
    ),
  ];
}

export function workerStartTable(r: BenchResults): string[] {
  return [
    '| Worker start | from spawn to polling (ms) | peak RSS (MB) |',
    '|---|---:|---:|',
    ...r.optimisations.workerStart.map(
      (w) =>
        `| ${w.prebuilt ? 'prebuilt bundle (WORKFLOW_BUNDLE_PATH)' : 'bundled at start'} | ${ms(w.ms)} | ${f(w.peakRssMb, 0)} |`,
    ),
  ];
}

export function keepAliveTable(r: BenchResults): string[] {
  return [
    '| System | New connections the receiver accepted | Deliveries | Deliveries per connection |',
    '|---|---:|---:|---:|',
    ...r.systems
      .filter((s) => s.status === 'measured' && s.receiver)
      .map(
        (s) =>
          `| \`${s.name}\` | ${s.receiver!.connections} | ${s.receiver!.requests} | ${f(s.receiver!.requests / Math.max(1, s.receiver!.connections), 0)} |`,
      ),
  ];
}

/** Each system's CPU per event beside the harness's, and the ceiling the machine's cores put on its rate. */
export function cpuCeilingTable(r: BenchResults): string[] {
  const cores = r.meta.machine.cores;
  return [
    '| System | System CPU ms per event | Harness (generator + receiver) ms per event | CPU-bound ceiling events/s | Measured max |',
    '|---|---:|---:|---:|---:|',
    ...r.systems
      .filter((s) => s.resources)
      .map((s) => {
        const own = cpuTotal(s.resources!.cpuMsPerEvent);
        const harness = s.resources!.harnessCpuMsPerEvent.generator + s.resources!.harnessCpuMsPerEvent.receiver;
        return `| \`${s.name}\` | ${f(own, 1)} | ${f(harness, 1)} | ${f((cores * 1000) / Math.max(0.001, own + harness), 0)} | ${maxCell(s)} |`;
      }),
  ];
}

export function breakdownTable(b: Breakdown | undefined): string[] {
  if (!b || b.workflows === 0) return ['(no histories read)'];
  return [
    `${b.workflows} workflows sampled from the 50% run, per workflow: ${perWorkflowCounts(b)}; workflow start → close p50 ${ms(b.total.p50)} ms, p95 ${ms(b.total.p95)} ms.`,
    '',
    '| Phase | p50 ms | p95 ms | per workflow |',
    '|---|---:|---:|---:|',
    ...b.phases.map((p) => `| ${p.phase} | ${ms(p.p50)} | ${ms(p.p95)} | ${f(p.perWorkflow)} |`),
  ];
}

export function profileTable(label: string, p: ProfileSummary | undefined): string[] {
  if (!p) return [`${label}: no profile was written.`];
  return [
    `**${label}** (${p.files} thread profile${p.files === 1 ? '' : 's'}, ${f(p.busyMs / 1000, 2)} s busy):`,
    '',
    '| Area | self ms | share of busy |',
    '|---|---:|---:|',
    ...p.areas.slice(0, 10).map((a) => `| ${a.area} | ${f(a.ms, 0)} | ${pct(a.share)} |`),
    '',
    '| Top functions (self time) | area | ms | share |',
    '|---|---|---:|---:|',
    ...p.functions.map(
      (fn) => `| \`${fn.fn.replace(/\|/g, '\\|')}\` | ${fn.area} | ${f(fn.ms, 0)} | ${pct(fn.share)} |`,
    ),
  ];
}
