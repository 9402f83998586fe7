/**
 * The report's tables, each from the results alone: one Markdown line per row, header lines first.
 */
import type { Breakdown } from '../lib/history';
import type { ProfileSummary } from '../lib/profile';
import { cpuTotal, engineCell, f, mark, maxCell, ms, pct, perWorkflowCounts, throughputVerdict } from './cells';
import type { BenchResults, ToggleResult } from './results';

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

export function targetsTable(r: BenchResults): string[] {
  const chat = r.systems.find((s) => s.name === 'chat-webhooks');
  const bare = r.systems.find((s) => s.name === 'bare-temporal');
  const ratio = chat?.max && bare?.max ? chat.max / bare.max : undefined;
  const p99 = chat?.half?.e2eMs.p99;
  const ingest = chat?.half?.ingestMs.p99;
  const calls = r.conditions?.callsPerEvent;
  return [
    '| Target (issue 7) | Measured | Verdict |',
    '|---|---|---|',
    `| chat-webhooks throughput ≥ 0.9 × bare-temporal | ${chat ? maxCell(chat) : '–'} vs ${bare ? maxCell(bare) : '–'} events/s = ${ratio === undefined ? '–' : f(ratio, 2)} × | ${throughputVerdict(chat, bare)} |`,
    `| End-to-end p99 ≤ 200 ms at 50% load | ${ms(p99)} ms at ${chat?.half?.rate ?? '–'} events/s | ${mark(p99 === undefined ? undefined : p99 <= 200)} |`,
    `| Ingest p99 ≤ 15 ms | ${ms(ingest)} ms | ${mark(ingest === undefined ? undefined : ingest <= 15)} |`,
    `| Exactly 1.0 LLM call per event (5 conditions on 3 webhooks) | ${calls === undefined ? '–' : f(calls, 2)} (${r.conditions?.llmCalls ?? '–'} calls for ${r.conditions?.accepted ?? '–'} events) | ${mark(calls === undefined ? undefined : Math.abs(calls - 1) < 1e-9)} |`,
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
