/**
 * The results: JSON with every figure, a Markdown report, and a chart (latency against offered load, one line per
 * system) drawn by Vega-Lite, rendered to SVG by Vega and to PNG by resvg.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { round } from './common';
import type { Breakdown } from './history';
import type { ReceiverStats } from './infra';
import type { LIMITS, RampResult, StepResult } from './load';
import type { ProfileSummary } from './profile';
import type { SettingsLookupResult } from './settings-lookup';

export interface SystemResult {
  name: string;
  status: 'measured' | 'skipped';
  skipReason?: string;
  ramp?: RampResult;
  max?: number;
  capped?: boolean;
  half?: StepResult;
  resources?: {
    windowS: number;
    cpuMsPerEvent: { api: number; worker?: number; engines: Record<string, number> };
    cpuPercent: { api: number; worker?: number; engines: Record<string, number> };
    /** The bench's own load generator (this process) and receiver, per event of the system. */
    harnessCpuMsPerEvent: { generator: number; receiver: number };
    peakRssMb: { api: number; worker?: number };
    totalCpuS: { api: number; worker?: number };
  };
  /** New connections the receiver accepted, and requests it got, over the whole measurement of the system. */
  receiver?: { connections: number; requests: number };
  startMs?: { api: number; worker?: number };
  breakdown?: Breakdown;
  /** chat-webhooks: the idle-timer workflows of the sampled events' conversations (one per conversation). */
  conversationBreakdown?: Breakdown;
  /** chat-webhooks: messages per conversation in the load, so conversation workflows per event = 1 / this. */
  eventsPerConversation?: number;
  /** Postgres work per accepted event during the 50% run (pg_stat_database; real Postgres only). */
  dbPerEvent?: { xacts: number; rowsFetched: number; rowsInserted: number; rowsUpdated: number };
  notes: string[];
}

export interface ToggleResult {
  label: string;
  maxEventsPerS: number;
  allPassed: boolean;
  atBase?: StepResult;
  steps: StepResult[];
  /** CPU per accepted event over the whole short ramp: API, worker, engines (Temporal, Postgres), all together. */
  cpuMsPerEvent: { api: number; worker: number; engines: number; total: number };
  /** Workflow histories of the step at the reference rate (some variants only). */
  breakdown?: Breakdown;
  /** Single process only: chat-event workflows started over the ramp, and how many the server started eagerly. */
  starts?: { started: number; eagerlyStarted: number };
}

export interface BenchResults {
  meta: {
    date: string;
    sha: string;
    /** The working tree differed from `sha` (tracked files): the run measured uncommitted code. Absent in older results. */
    dirty?: boolean;
    command: string;
    quick: boolean;
    machine: { cpu: string; cores: number; memoryGb: number; node: string; os: string };
    limits: typeof LIMITS;
    infra: {
      temporal?: string;
      postgres?: string;
      redis?: string;
      bundleMs?: { chatWebhooks: number; bareTemporal: number };
      bundleKb?: { chatWebhooks: number; bareTemporal: number; chatWebhooksWithoutZod?: number };
    };
    startedAt: string;
    /** Share of CPU busy in the second before the bench started anything (other work on the machine). */
    busyBeforeStart: number;
    loadAverage: { start: number; end: number };
    durationS: number;
    chatSetup: { apps: number; webhooks: number };
  };
  systems: SystemResult[];
  fanout: Array<{
    webhooks: number;
    maxEventsPerS: number;
    capped: boolean;
    deliveriesPerS: number;
    atMax?: StepResult;
    steps: StepResult[];
  }>;
  conditions?: {
    events: number;
    accepted: number;
    llmCalls: number;
    callsPerEvent: number;
    conditionsPerCall: number;
    conditionDeliveries: number;
    expectedConditionDeliveries: number;
    step: StepResult;
  };
  optimisations: {
    /** The product restarted as in the main run, measured just before the variants below. */
    baseline?: ToggleResult;
    workerStart: Array<{ prebuilt: boolean; ms: number; peakRssMb: number }>;
    runtime: Array<ToggleResult & { value: string }>;
    bundle: Array<ToggleResult & { value: string }>;
    poolSize: Array<ToggleResult & { value: number }>;
    /** WORKER_* variables (results before they existed hold the SDK's option names instead). */
    tuning: Array<ToggleResult & { value: Record<string, unknown> }>;
    /** CONVERSATION_IDLE_TIMEOUT values other than the default; absent in older results. */
    idleTimeout?: Array<ToggleResult & { value: string }>;
    /** API and worker in one process on the worker's NativeConnection, eager start off and on; absent in older results. */
    singleProcess?: Array<ToggleResult & { value: { eager: boolean } }>;
    pragmas: Array<ToggleResult & { value: string[] }>;
    /** The reads a worker-side settings cache would replace, measured alone; absent in older results. */
    settingsLookup?: SettingsLookupResult;
  };
  profile?: { rate: number; durationS: number; events: number; api?: ProfileSummary; worker?: ProfileSummary };
  receiver?: ReceiverStats;
  notes: string[];
}

const f = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n) ? '–' : String(round(n, digits));
const ms = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? '–' : n >= 100 ? String(Math.round(n)) : String(round(n, 1));
const pct = (n: number) => `${round(n * 100, 1)}%`;
const mark = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');

function engineCell(engines: Record<string, number>): string {
  const parts = Object.entries(engines).map(([name, v]) => `${name} ${f(v, 1)}`);
  return parts.length ? parts.join(' + ') : 'none';
}

function maxCell(s: SystemResult): string {
  if (s.status !== 'measured') return 'skipped';
  return `${s.max}${s.capped ? '+' : ''}`;
}

function systemTable(r: BenchResults): string[] {
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

/**
 * The throughput target's verdict. A capped maximum ("+": the highest rate tried passed) is a lower bound, so the
 * ratio is a lower bound when chat-webhooks is capped and an upper bound when bare-temporal is: some cases stay open.
 */
function throughputVerdict(chat: SystemResult | undefined, bare: SystemResult | undefined): string {
  if (!chat?.max || !bare?.max) return mark(undefined);
  const met = chat.max / bare.max >= 0.9;
  if ((chat.capped && bare.capped) || (chat.capped && !met) || (bare.capped && met))
    return 'open (a maximum is capped)';
  return mark(met);
}

function targets(r: BenchResults): string[] {
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

function rates(t: ToggleResult | undefined): string {
  return t ? t.steps.map((s) => s.rate).join(' / ') : '–';
}

function toggleRows(rows: Array<ToggleResult & { value: unknown }>, valueOf: (v: unknown) => string): string[] {
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

/** "2 workflow tasks, 1 activity, 1 local activity, 17 history events" (local activities only where counted). */
function perWorkflowCounts(b: Breakdown): string {
  return [
    `${f(b.workflowTasksPerWorkflow)} workflow ${b.workflowTasksPerWorkflow === 1 ? 'task' : 'tasks'}`,
    `${f(b.activitiesPerWorkflow)} ${b.activitiesPerWorkflow === 1 ? 'activity' : 'activities'}`,
    ...(b.localActivitiesPerWorkflow === undefined
      ? []
      : [`${f(b.localActivitiesPerWorkflow)} local ${b.localActivitiesPerWorkflow === 1 ? 'activity' : 'activities'}`]),
    `${f(b.historyEventsPerWorkflow, 0)} history events`,
  ].join(', ');
}

function breakdownTable(b: Breakdown | undefined): string[] {
  if (!b || b.workflows === 0) return ['(no histories read)'];
  return [
    `${b.workflows} workflows sampled from the 50% run, per workflow: ${perWorkflowCounts(b)}; workflow start → close p50 ${ms(b.total.p50)} ms, p95 ${ms(b.total.p95)} ms.`,
    '',
    '| Phase | p50 ms | p95 ms | per workflow |',
    '|---|---:|---:|---:|',
    ...b.phases.map((p) => `| ${p.phase} | ${ms(p.p50)} | ${ms(p.p95)} | ${f(p.perWorkflow)} |`),
  ];
}

function profileTable(label: string, p: ProfileSummary | undefined): string[] {
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

function phase(b: Breakdown | undefined, name: string): { p50: number; p95: number } | undefined {
  return b?.phases.find((p) => p.phase === name);
}

/** The committed full run from before prepareEvent became a local activity: the "before" of that comparison. */
export const PREVIOUS_RESULT = path.resolve(__dirname, '../results/2026-11-27-db29474.json');

export interface Previous {
  file: string;
  results: BenchResults;
  /** Commits from the earlier run's to this run's, when git could tell. */
  commitsBetween?: number;
}

function cpuTotal(c: { api: number; worker?: number; engines: Record<string, number> }): number {
  return c.api + (c.worker ?? 0) + Object.values(c.engines).reduce((a, b) => a + b, 0);
}

/** Relative change from `before` to `now`, signed ("−12.5%"); "–" when either is missing. */
function change(before: number | undefined, now: number | undefined): string {
  if (before === undefined || now === undefined || !Number.isFinite(before) || !Number.isFinite(now) || before === 0)
    return '–';
  const d = (now - before) / before;
  if (round(d * 100, 1) === 0) return '0%';
  return `${d < 0 ? '−' : '+'}${pct(Math.abs(d))}`;
}

/** Like `change`, for maxima: a capped one ("+") is a lower bound, so the change is one too. */
function maxChange(before: SystemResult | undefined, now: SystemResult | undefined): string {
  if (before?.capped && now?.capped) return '– (both capped)';
  const c = change(before?.max, now?.max);
  return c === '–' ? c : now?.capped ? `≥ ${c}` : before?.capped ? `≤ ${c}` : c;
}

/** Workflow tasks, activities and history events per event: the chat-event workflow plus its share of a conversation's. */
function perEventCounts(s: SystemResult): { tasks: number; historyEvents: number } | undefined {
  const b = s.breakdown;
  if (!b || b.workflows === 0) return undefined;
  const c = s.conversationBreakdown && s.conversationBreakdown.workflows > 0 ? s.conversationBreakdown : undefined;
  const share = c && s.eventsPerConversation ? 1 / s.eventsPerConversation : 0;
  return {
    tasks:
      b.workflowTasksPerWorkflow +
      b.activitiesPerWorkflow +
      (c ? share * (c.workflowTasksPerWorkflow + c.activitiesPerWorkflow) : 0),
    historyEvents: b.historyEventsPerWorkflow + (c ? share * c.historyEventsPerWorkflow : 0),
  };
}

/** The measured effect of the local activity and of conversation clocks in Postgres, against the earlier committed run. */
function localActivitySection(r: BenchResults, previous: Previous | undefined): string[] {
  const out = [
    "What changed in the product: a chat event's workflow runs `prepareEvent` as a local activity inside its first workflow task (it loads the app's " +
      'settings, records the deliveries, notes the message in its conversation and says whether custom conditions need judging), then one ' +
      '`deliverWebhook` activity per delivery. `evaluateConditions` is scheduled only for apps that have custom conditions, and `touchConversation` ' +
      "not at all: a conversation's idle-timer workflow is started once, by its first message, and reads the conversation's clock from Postgres when " +
      'it fires, so later messages send no signal and cost no workflow task. Workflows started before the change keep their old path (`patched()`). ' +
      "A plain `message_sent` event is now 2 workflow tasks, 1 activity and 1 local-activity marker, as bare-temporal's event is 2 workflow tasks and " +
      '1 activity. Worker sizing is read from WORKER_* variables (see the settings below).',
    '',
  ];
  const now = r.systems.find((s) => s.name === 'chat-webhooks');
  const nowBare = r.systems.find((s) => s.name === 'bare-temporal');
  if (!previous) return [...out, `No earlier result to compare with: ${path.basename(PREVIOUS_RESULT)} was not found.`];
  const p = previous.results;
  if (p.meta.sha === r.meta.sha)
    return [...out, `This run is ${path.basename(previous.file)} itself: nothing to compare with.`];
  const before = p.systems.find((s) => s.name === 'chat-webhooks');
  const beforeBare = p.systems.find((s) => s.name === 'bare-temporal');
  if (!now?.resources || !now.half || !before?.resources || !before.half) {
    return [
      ...out,
      `chat-webhooks was not measured in ${now?.resources ? path.basename(previous.file) : 'this run'}: no comparison.`,
    ];
  }
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
      bb?.localActivitiesPerWorkflow === undefined
        ? 'not counted (none on that path)'
        : f(bb.localActivitiesPerWorkflow),
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
  out.push(
    ...(r.meta.quick
      ? [
          "**This is a quick run** (1.5 s steps at a few fixed rates): its figures cannot be compared with a full run's, so the changes below mean nothing.",
          '',
        ]
      : []),
    `| chat-webhooks | before: ${path.basename(previous.file, '.json')} | now: ${r.meta.sha} | change |`,
    '|---|---|---|---:|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `- **"Before" is not from this run.** It is ${path.relative(path.resolve(__dirname, '../..'), previous.file)}, an earlier full run ` +
      (sameMachine
        ? `on the same machine (${r.meta.machine.cpu}, ${r.meta.machine.cores} cores)`
        : `on another machine (${p.meta.machine.cpu}, ${p.meta.machine.cores} cores)`) +
      `, started ${p.meta.startedAt.slice(0, 16).replace('T', ' ')} UTC with the machine ${pct(p.meta.busyBeforeStart)} busy (this run: ${pct(r.meta.busyBeforeStart)}). ` +
      'Whatever else the machine was doing differs between the two; bare-temporal, whose code did not change, shows how much: ' +
      `${beforeBare ? maxCell(beforeBare) : '–'} events/s then, ${nowBare ? maxCell(nowBare) : '–'} now. Latencies are at each run's own 50% rate.`,
    `- **More than this change lies between the two runs**${previous.commitsBetween ? ` (${previous.commitsBetween} commits from ${p.meta.sha} to ${r.meta.sha})` : ''}: ` +
      'the workflow bundle lost zod (5e02873)' +
      (p.optimisations.bundle[0] && p.optimisations.baseline
        ? `, which the earlier run measured on its own at ${change(p.optimisations.baseline.cpuMsPerEvent.total, p.optimisations.bundle[0].cpuMsPerEvent.total)} CPU per event`
        : '') +
      ', and the API makes one query less per event (96338a7). The settings differ too: the earlier run had CONVERSATION_IDLE_TIMEOUT=0, this one runs the ' +
      'default (30m), so "now" also pays for tracking conversations (a conversation row written per message, an idle-timer workflow started per conversation); ' +
      'the CONVERSATION_IDLE_TIMEOUT=0 row in the settings below prices that within this run.',
  );
  if (bb && before.resources.cpuMsPerEvent.worker !== undefined) {
    // The estimate the earlier report gave for not scheduling idle activities and for the local activity, from its own figures.
    const perHistoryEvent = (bc.engines.temporal ?? 0) / Math.max(1, bb.historyEventsPerWorkflow);
    const workerPerTask = (bc.worker ?? 0) / Math.max(1, bb.workflowTasksPerWorkflow + bb.activitiesPerWorkflow);
    const estimate = 2 * 3 * perHistoryEvent + 2 * workerPerTask + 5 * perHistoryEvent + workerPerTask;
    out.push(
      `- **Against the estimate.** The earlier report expected about ${f(estimate, 1)} CPU ms per event less from skipping the activities with nothing to do ` +
        `and from the local activity. Measured: ${f(cpuTotal(bc), 1)} → ${f(cpuTotal(nc), 1)} CPU ms per event ` +
        `(${cpuTotal(nc) <= cpuTotal(bc) ? `${f(cpuTotal(bc) - cpuTotal(nc), 1)} less` : `${f(cpuTotal(nc) - cpuTotal(bc), 1)} more`}); that difference also contains the zod ` +
        'and ingest-query changes, and the cost of tracking conversations at the default.',
    );
  }
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

function eagerSection(r: BenchResults): string[] {
  const rows = r.optimisations.singleProcess ?? [];
  const off = rows.find((t) => !t.value.eager);
  const on = rows.find((t) => t.value.eager);
  const base = r.optimisations.baseline;
  if (!off || !on) return ['Not measured in this run.'];
  const out = [
    'Eager start: the server hands a new workflow its first workflow task in the answer to the start call, to a worker on the same connection, instead of ' +
      'queueing it for a poller. The TypeScript SDK (1.24) does it only for a Client built on the NativeConnection of a worker in the same process. ' +
      'Production runs `api` and `worker` as separate processes, so it cannot be used there. `chat-webhooks dev` (`npm start`) runs both in one process: ' +
      "since this measurement its API shares the worker's NativeConnection and asks for eager start (src/cli.ts, src/services/events.ts; the suite " +
      'checks `eagerly_started` in its log). These rows run bench/systems/chat-webhooks-single-process.ts, which wires the same way with the ' +
      "production settings of the other rows: the product's createApp and startWorker in one process, one Client on the worker's NativeConnection " +
      '(the API\'s and the conversation timers\'), and, for "on", a client interceptor that adds `requestEagerStart: true` to chat-event workflow ' +
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

/** What was changed since the earlier report, and what this run points to next, with gains worked out from its own figures. */
function recommendations(r: BenchResults): string[] {
  const chat = r.systems.find((s) => s.name === 'chat-webhooks');
  const bare = r.systems.find((s) => s.name === 'bare-temporal');
  const cores = r.meta.machine.cores;
  const base = r.optimisations.baseline;
  const out: string[] = [];
  const counts = chat ? perEventCounts(chat) : undefined;
  if (!chat?.resources || !chat.breakdown || !counts)
    return ['(chat-webhooks was not measured, or none of its workflow histories could be read)'];
  const c = chat.resources.cpuMsPerEvent;
  const chatTemporal = c.engines.temporal ?? 0;
  const chatTotal = cpuTotal(c);
  const perHistoryEvent = chatTemporal / Math.max(1, counts.historyEvents);
  const bareTemporal = bare?.resources?.cpuMsPerEvent.engines.temporal;
  const barePerHistoryEvent =
    bareTemporal !== undefined && bare?.breakdown
      ? bareTemporal / Math.max(1, bare.breakdown.historyEventsPerWorkflow)
      : undefined;
  const workerPerTask = (c.worker ?? 0) / Math.max(1, counts.tasks);
  out.push(
    `chat-webhooks is CPU-bound here: ${f(chatTotal, 1)} CPU ms per event (API ${f(c.api, 1)}, worker ${f(c.worker, 1)}, Temporal ${f(chatTemporal, 1)}, ` +
      `Postgres ${f(c.engines.postgres, 1)}) against ${cores * 1000} ms per second of CPU on ${cores} cores. The Temporal dev server costs about ` +
      `${f(perHistoryEvent, 2)} CPU ms per history event for chat-webhooks${barePerHistoryEvent !== undefined ? ` (${f(barePerHistoryEvent, 2)} for bare-temporal)` : ''}, ` +
      `and the worker about ${f(workerPerTask, 1)} ms per workflow task or activity` +
      (chat.conversationBreakdown
        ? ` (the conversation timers' share included: one per ${chat.eventsPerConversation ?? '?'} events).`
        : '.'),
    '',
  );
  const bc = bare?.resources?.cpuMsPerEvent;
  if (bc) {
    const diff = (a: number | undefined, b: number | undefined) =>
      `${(a ?? 0) - (b ?? 0) >= 0 ? '+' : ''}${f((a ?? 0) - (b ?? 0), 1)}`;
    out.push(
      `Against bare-temporal in this run (${f(cpuTotal(bc), 1)} CPU ms per event): Temporal ${diff(chatTemporal, bc.engines.temporal)} ms, API ${diff(c.api, bc.api)}, ` +
        `worker ${diff(c.worker, bc.worker)}, Postgres ${diff(c.engines.postgres, 0)}. What chat-webhooks adds is mostly its own work around the engine — ` +
        'the settings read and the delivery rows written per event, each attempt recorded in the delivery log, the duplicate check and the event row ' +
        'at ingest, the conversation clock — which is what its delivery log, deduplication after retention and idle ends are made of. That is why the ' +
        'throughput ratio stays below 0.9 × on two shared cores even with the engine work matched.',
      '',
    );
  }
  out.push('### Done since the earlier report', '');
  const kb = r.meta.infra.bundleKb;
  const zodGone =
    kb?.chatWebhooksWithoutZod !== undefined ? kb.chatWebhooks - kb.chatWebhooksWithoutZod <= 1 : undefined;
  out.push(
    '- **zod out of the workflow bundle** (5e02873: workflow ids and signal names moved to src/domain/workflow-ids.ts). ' +
      (zodGone === undefined
        ? 'Not checked in this run.'
        : zodGone
          ? `Checked: the bundle is ${f(kb!.chatWebhooks, 0)} KB, the same with zod stubbed out (bare-temporal's: ${f(kb!.bareTemporal, 0)} KB).`
          : `**zod is back in the bundle**: ${f(kb!.chatWebhooks, 0)} KB, ${f(kb!.chatWebhooksWithoutZod, 0)} KB with it stubbed out; see the settings row above.`),
    '- **No activity without work** and **a local activity for preparing events** (cb37e3b): `evaluateConditions` only for apps with custom conditions, ' +
      '`touchConversation` replaced by the conversation clock in Postgres, and `prepareEvent` (settings, deliveries, conversation) run as a local activity ' +
      `inside the first workflow task. Now, per chat-event workflow: ${perWorkflowCounts(chat.breakdown)}. The effect is in "Local activity for preparing events, ` +
      'and conversation clocks in Postgres" above.',
    '- **One query less per ingested event** (96338a7): `acceptEvent` uses the app that `scopeToApp` loaded.',
    '- **Worker sizing from the environment**: WORKER_MAX_CONCURRENT_ACTIVITIES, WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES, WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, ' +
      "WORKER_MAX_CACHED_WORKFLOWS (unset: the SDK's defaults); measured in the settings above.",
    "- **No endpoint-health write for a success against a healthy endpoint**: the success's update matches no row unless a run of failures is " +
      'under way, so the common delivery no longer locks and rewrites its webhook row. (3f52abe skipped the statement altogether; a reviewer found ' +
      'that this could miss a failure recorded during the request, so it is back as a statement that writes nothing.)',
    "- **An app key's lookup reads its app**, so `scopeToApp` does not read it again (the load here uses the admin key, which reads the app once).",
    '- **A conversation timer that cannot start within 5 s no longer holds up its event**: the next message tries again.',
    '- **Eager workflow start in `chat-webhooks dev`**: kept on the figures of its section above; production cannot use it.',
    '- **A settings cache in the worker**: measured and rejected (its section above).',
    '',
    '### Next',
    '',
  );
  const ingest = chat.half?.ingestMs;
  const bareIngest = bare?.half?.ingestMs;
  out.push(
    `1. **Ingest p99 (target 15 ms; measured p50 ${ms(ingest?.p50)}, p99 ${ms(ingest?.p99)} ms at chat-webhooks' 50% rate).** ` +
      (bareIngest
        ? `bare-temporal's ingest, which is nothing but the \`workflow.start\` call, measured p50 ${ms(bareIngest.p50)}, p99 ${ms(bareIngest.p99)} ms at its own 50% rate in this run: ` +
          (bareIngest.p99 > 15
            ? 'on this machine the engine alone does not meet the target under load. '
            : 'the engine alone meets it. ')
        : '') +
      'Beside that call the API makes three Postgres round trips, one after another: the app (read by id for the admin key, which the load uses; an app ' +
      'key reads it with the key lookup), `findEvent` and `recordEvent`. `findEvent` and `recordEvent` are what makes a repeated event id harmless after ' +
      "Temporal's retention, and stay. The rest of the p99 is queueing for CPU shared with the worker, the dev server and Postgres on 2 cores.",
  );
  const wft1Wait = phase(chat.breakdown, 'workflow task 1: wait for worker');
  const bareWft1Wait = phase(bare?.breakdown, 'workflow task 1: wait for worker');
  out.push(
    `2. **The first workflow task's wait for a worker** (p50 ${ms(wft1Wait?.p50)} ms in the histories${bareWft1Wait ? `; ${ms(bareWft1Wait.p50)} ms for bare-temporal` : ''}). ` +
      "It grows with load (a few ms at low rates): a new workflow's first task goes to the normal task queue, which only a fifth of the worker's workflow " +
      'pollers watch by default (`nonStickyToStickyPollRatio` 0.2); later tasks go to the sticky queue. Measuring `nonStickyToStickyPollRatio` and the ' +
      'workflow poller count is the next tuning experiment; neither is an environment variable yet.',
  );
  const tunings = r.optimisations.tuning;
  const better = base ? tunings.filter((t) => t.maxEventsPerS > base.maxEventsPerS) : [];
  out.push(
    '3. **Worker sizing.** ' +
      (tunings.length && base
        ? `Measured: ${tunings.map((t) => `${tuningLabel(t.value)} held ${t.maxEventsPerS}${t.allPassed ? '+' : ''} events/s at ${f(t.cpuMsPerEvent.total, 1)} CPU ms per event`).join('; ')}; ` +
          `baseline (unset) ${base.maxEventsPerS}${base.allPassed ? '+' : ''} at ${f(base.cpuMsPerEvent.total, 1)}. ` +
          (better.length
            ? `${better.map((t) => tuningLabel(t.value)).join(' and ')} held a higher rate than the baseline in this run: re-measure before changing the defaults.`
            : base.allPassed && tunings.every((t) => t.allPassed)
              ? 'Every row held the highest rate tried, so the rates cannot tell them apart here; compare CPU per event.'
              : 'No setting held a higher rate than the baseline: with the CPU the limit, more slots do not help on this machine; the variables matter on machines with more cores.')
        : 'not measured in this run.'),
  );
  const chatConn = chat.receiver;
  out.push(
    `4. **Keep-alive (undici agents)** is already on: ${chatConn ? `${f(chatConn.requests / Math.max(1, chatConn.connections), 0)} deliveries per new connection to the receiver` : 'see above'}. ` +
      'Nothing to gain here against a local receiver; against remote HTTPS receivers, reuse matters more (TLS handshakes), and the current agent already does it.',
  );
  return out;
}

/** The zod note under the settings table: measured while zod was in the workflow bundle, otherwise why it was not run. */
function zodNote(r: BenchResults): string[] {
  const kb = r.meta.infra.bundleKb;
  const sizes = `${f(kb?.chatWebhooks, 0)} KB; ${f(kb?.chatWebhooksWithoutZod, 0)} KB with zod stubbed out; bare-temporal's is ${f(kb?.bareTemporal, 0)} KB`;
  if (r.optimisations.bundle.length) {
    return [
      '- **Workflow bundle without zod.** A module the workflows import builds zod schemas when it loads, so zod is in the workflow bundle ' +
        `(${sizes}). The SDK loads the bundle's modules afresh for every workflow (a module cache per workflow), so every workflow builds those schemas ` +
        'again. This row bundles the same workflows with zod replaced by a stub (bench/workflows/zod-stub.ts), which workflows never call: it measures ' +
        'what keeping zod out of the bundle would save, without changing the product.',
    ];
  }
  if (kb?.chatWebhooksWithoutZod === undefined) return [];
  return [
    `- **Workflow bundle without zod** was not run: zod is not in the workflow bundle (${sizes}), since workflow ids and signal names live in ` +
      'src/domain/workflow-ids.ts (5e02873). The bench still bundles the stubbed variant to notice if zod comes back.',
  ];
}

/** `WORKER_MAX_CONCURRENT_WORKFLOW_TASKS=10, WORKER_MAX_CONCURRENT_ACTIVITIES=20` (older results: the SDK's option names). */
function tuningLabel(value: Record<string, unknown>): string {
  return `\`${Object.entries(value)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ')}\``;
}

export function renderMarkdown(r: BenchResults, chartFile: string | undefined, previous?: Previous): string {
  const m = r.meta;
  const chat = r.systems.find((s) => s.name === 'chat-webhooks');
  const bare = r.systems.find((s) => s.name === 'bare-temporal');
  const out: string[] = [
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
    '',
    '## Results',
    '',
    ...systemTable(r),
    '',
    `Max sustained: the highest open-loop rate at which a ${r.systems[0]?.ramp?.steps[0]?.durationS ?? '?'} s step kept **p99 end-to-end ≤ ${m.limits.e2eP99Ms} ms** and **errors ≤ ${m.limits.errorRate * 100}%** ` +
      '(ingest errors, events dropped past ' +
      `${m.limits.maxOutstanding} requests in flight, and events not fully delivered once the receiver went quiet). ` +
      'Rates rise ×2 until a step fails, then bisect; "+" means the highest rate tried still passed. End-to-end: from the intended start of the ingest call ' +
      'to the receiver having the whole body (CLOCK_MONOTONIC in both processes). CPU: user+system time from /proc during the 50% run, per accepted event; ' +
      'engine = the Temporal dev server, the Postgres backends serving the bench database, Redis. Peak RSS: VmHWM. ' +
      'All four systems run their TypeScript through tsx, as bin/chat-webhooks.js does in a checkout.',
    '',
    ...(chartFile ? [`![Latency against offered load](${path.basename(chartFile)})`, ''] : []),
    '## Targets',
    '',
    ...targets(r),
    '',
    '## Local activity for preparing events, and conversation clocks in Postgres',
    '',
    ...localActivitySection(r, previous),
    '',
    '## chat-webhooks: fan-out',
    '',
    'One event to N webhooks, each webhook on its own receiver port (a distinct endpoint, as distinct customers are).',
    '',
    '| Webhooks per event | Max events/s | Deliveries/s at that rate | e2e p50 / p99 per delivery (ms) | Ingest p99 (ms) |',
    '|---:|---:|---:|---|---:|',
    ...r.fanout.map(
      (x) =>
        `| ${x.webhooks} | ${x.maxEventsPerS}${x.capped ? '+' : ''} | ${f(x.deliveriesPerS, 0)} | ${x.atMax ? `${ms(x.atMax.e2eMs.p50)} / ${ms(x.atMax.e2eMs.p99)}` : '–'} | ${x.atMax ? ms(x.atMax.ingestMs.p99) : '–'} |`,
    ),
    '',
    '## chat-webhooks: LLM calls per event',
    '',
    ...(r.conditions
      ? [
          `${r.conditions.events} \`message_sent\` events (5 per conversation) to an app with 3 webhooks carrying 5 conditions (2 + 2 + 1), judged by the fake ` +
            'OpenAI-compatible server (test/helpers/fake-llm.ts), which matches `cond_a1` every time.',
          '',
          `- LLM calls: **${r.conditions.llmCalls}** for ${r.conditions.accepted} accepted events = **${f(r.conditions.callsPerEvent, 2)} per event** (expected 1.0).`,
          `- Conditions judged per call: ${f(r.conditions.conditionsPerCall, 2)} (5 on a conversation's first event; 4 after \`cond_a1\` fired once per conversation).`,
          `- Condition deliveries received: ${r.conditions.conditionDeliveries} (expected ${r.conditions.expectedConditionDeliveries}: once per conversation).`,
          `- Message deliveries: e2e p50 ${ms(r.conditions.step.e2eMs.p50)} ms, p99 ${ms(r.conditions.step.e2eMs.p99)} ms at ${r.conditions.step.rate} events/s.`,
        ]
      : ['not run']),
    '',
    '## Making it fast: what was measured',
    '',
    '### Prebuilt workflow bundle',
    '',
    '| Worker start | from spawn to polling (ms) | peak RSS (MB) |',
    '|---|---:|---:|',
    ...r.optimisations.workerStart.map(
      (w) =>
        `| ${w.prebuilt ? 'prebuilt bundle (WORKFLOW_BUNDLE_PATH)' : 'bundled at start'} | ${ms(w.ms)} | ${f(w.peakRssMb, 0)} |`,
    ),
    '',
    `Bundling in the bench process took ${ms(m.infra.bundleMs?.chatWebhooks)} ms for chat-webhooks' workflows. The prebuilt bundle only changes start-up; ` +
      'once running, the worker executes the same code. **Kept** (the Dockerfile already sets WORKFLOW_BUNDLE_PATH; every run here uses it).',
    '',
    `### chat-webhooks settings — each a short ramp at ${rates(r.optimisations.baseline)} events/s (multiples of the main run's maximum), back to back with a restarted baseline`,
    '',
    '| Variant | Highest rate that held | e2e p50 / p99 (ms) at the main max, or at the first rate if that failed | Ingest p99 (ms) | Errors | CPU ms per event (API / worker / Temporal + Postgres) |',
    '|---|---:|---|---:|---:|---|',
    ...(r.optimisations.baseline
      ? toggleRows([{ ...r.optimisations.baseline, value: r.optimisations.baseline.label }], (v) => `**${v}**`)
      : []),
    ...toggleRows(
      r.optimisations.runtime,
      () => 'compiled JavaScript (`tsc -p tsconfig.build.json`, as the Docker image runs) instead of tsx',
    ),
    ...toggleRows(r.optimisations.bundle, () => 'workflow bundle without zod (stubbed; see below)'),
    ...toggleRows(r.optimisations.poolSize, (v) => `PG_POOL_MAX=${v}`),
    ...toggleRows(r.optimisations.tuning, (v) => `worker sizing ${tuningLabel(v as Record<string, unknown>)}`),
    ...toggleRows(
      r.optimisations.idleTimeout ?? [],
      (v) => `CONVERSATION_IDLE_TIMEOUT=${v} (conversations not tracked)`,
    ),
    '',
    `- **Reading these rows.** Each variant is a fresh dev server and fresh processes, measured one after another, with ` +
      `${r.optimisations.baseline?.steps[0]?.durationS ?? '?'} s steps at ${rates(r.optimisations.baseline)} events/s. A difference of one step in "highest rate ` +
      'that held", with CPU per event within a few per cent, is run-to-run noise; CPU per event is the steadier figure.',
    '- **Runtime.** `node bin/chat-webhooks.js` in a checkout runs the TypeScript sources through tsx (with source-map support); ' +
      'the Docker image runs the compiled JavaScript. The main rows use bin/chat-webhooks.js, as a developer runs it.',
    ...zodNote(r),
    '- **PG_POOL_MAX** sets the pool of the API and of the worker (default 10).',
    '- **Worker sizing.** src/config.ts reads WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, WORKER_MAX_CONCURRENT_ACTIVITIES, ' +
      'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES and WORKER_MAX_CACHED_WORKFLOWS; these rows start the real worker (`bin/chat-webhooks.js worker`) with the ' +
      "variables shown set. Unset, as in the baseline, the SDK's defaults apply: 40 concurrent workflow tasks, 100 concurrent activities, 100 concurrent " +
      'local activities, cached workflows sized from memory.',
    ...((r.optimisations.idleTimeout ?? []).length
      ? [
          '- **CONVERSATION_IDLE_TIMEOUT=0** turns conversation tracking off: no conversation row per message and no idle-timer workflow per conversation ' +
            `(the load sends ${r.systems.find((x) => x.name === 'chat-webhooks')?.eventsPerConversation ?? 10} messages per conversation). Against the baseline, ` +
            'which runs the default (30m) as the main run does, it shows what the default costs.',
        ]
      : []),
    '',
    '### API and worker in one process: eager workflow start',
    '',
    ...eagerSection(r),
    '',
    `### Dev server SQLite pragmas — bare-temporal, a short ramp at ${r.optimisations.pragmas.map((p) => rates(p)).sort((a, b) => b.length - a.length)[0] ?? '–'} events/s`,
    '',
    'The main runs use a dev server as `startDevServer` starts it without a file: in memory, where journal settings hardly ' +
      'matter. `npm start` gives it a SQLite file with WAL and synchronous=NORMAL. Each row is a fresh dev server.',
    '',
    "| Dev server | Highest rate that held | e2e p50 / p99 (ms) at bare-temporal's max, or at the first rate if that failed | Ingest p99 (ms) | Errors | CPU ms per event (API / worker / Temporal) |",
    '|---|---:|---|---:|---:|---|',
    ...r.optimisations.pragmas.map((t) => toggleRows([t], () => t.label)[0]!),
    '',
    '`startDevServer` already passes `journal_mode=WAL`, with `synchronous=OFF` in memory and `NORMAL` on a file (a process crash loses ' +
      "nothing with WAL; a power cut may lose the last transactions): kept. Compare the rows to see what WAL is worth against SQLite's defaults.",
    '',
    '### Keep-alive connection reuse',
    '',
    '| System | New connections the receiver accepted | Deliveries | Deliveries per connection |',
    '|---|---:|---:|---:|',
    ...r.systems
      .filter((s) => s.status === 'measured' && s.receiver)
      .map(
        (s) =>
          `| \`${s.name}\` | ${s.receiver!.connections} | ${s.receiver!.requests} | ${f(s.receiver!.requests / Math.max(1, s.receiver!.connections), 0)} |`,
      ),
    '',
    "The product's delivery agent (activities/delivery-agent.ts) already keeps connections alive (undici Agent, 4 s keep-alive), " +
      'so deliveries to one endpoint reuse a handful of sockets.',
    '',
    ...settingsCacheSection(r),
    '## Where the time goes',
    '',
    '### CPU per event',
    '',
    `The machine has ${m.machine.cores} cores, so ${m.machine.cores * 1000} CPU ms per second in all. Dividing by each system's CPU per event ` +
      '(its processes plus the bench harness that drives it) gives a ceiling that the measured maximum should approach when the system is CPU-bound.',
    '',
    '| System | System CPU ms per event | Harness (generator + receiver) ms per event | CPU-bound ceiling events/s | Measured max |',
    '|---|---:|---:|---:|---:|',
    ...r.systems
      .filter((s) => s.resources)
      .map((s) => {
        const c = s.resources!.cpuMsPerEvent;
        const own = c.api + (c.worker ?? 0) + Object.values(c.engines).reduce((a, b) => a + b, 0);
        const harness = s.resources!.harnessCpuMsPerEvent.generator + s.resources!.harnessCpuMsPerEvent.receiver;
        return `| \`${s.name}\` | ${f(own, 1)} | ${f(harness, 1)} | ${f((m.machine.cores * 1000) / Math.max(0.001, own + harness), 0)} | ${maxCell(s)} |`;
      }),
    '',
    '### Inside Temporal (workflow histories)',
    '',
    '**chat-webhooks**',
    '',
    ...breakdownTable(chat?.breakdown),
    '',
    ...(chat?.conversationBreakdown && chat.conversationBreakdown.workflows > 0
      ? [
          `Not in these: the idle-timer workflows of the sampled events' conversations (one per ${chat.eventsPerConversation ?? '?'} events; ` +
            `${chat.conversationBreakdown.workflows} read, still waiting on their 30 min timer), per workflow so far: ${perWorkflowCounts(chat.conversationBreakdown)}.`,
          '',
        ]
      : []),
    ...(chat?.dbPerEvent
      ? [
          `Postgres work per chat-webhooks event (pg_stat_database over the 50% run, API and worker together): ${f(chat.dbPerEvent.xacts)} transactions, ` +
            `${f(chat.dbPerEvent.rowsFetched)} rows fetched, ${f(chat.dbPerEvent.rowsInserted)} inserted, ${f(chat.dbPerEvent.rowsUpdated)} updated.`,
          '',
        ]
      : []),
    '**bare-temporal**',
    '',
    ...breakdownTable(bare?.breakdown),
    '',
    `### CPU profiles (node --cpu-prof, ${r.profile?.durationS ?? '–'} s at ${r.profile?.rate ?? '–'} events/s, ${r.profile?.events ?? '–'} events)`,
    '',
    ...profileTable('chat-webhooks api', r.profile?.api),
    '',
    ...profileTable('chat-webhooks worker', r.profile?.worker),
    '',
    '## Recommendations (code changes, not made by the benchmark)',
    '',
    `What was done since the earlier report (${path.basename(PREVIOUS_RESULT, '.json')}.md), and what this run points to next.`,
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

async function renderChart(r: BenchResults): Promise<{ svg: string; png: Buffer } | undefined> {
  const values = r.systems
    .flatMap((s) =>
      (s.ramp?.steps ?? []).flatMap((step) => [
        { system: s.name, offered: step.rate, percentile: 'p50', latency: Math.max(0.1, step.e2eMs.p50) },
        { system: s.name, offered: step.rate, percentile: 'p99', latency: Math.max(0.1, step.e2eMs.p99) },
      ]),
    )
    .filter((v) => Number.isFinite(v.latency));
  if (values.length === 0) return undefined;
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const { Resvg } = await import('@resvg/resvg-js');
  const spec = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'End-to-end latency against offered load',
      subtitle: `${r.meta.date} ${r.meta.sha}${r.meta.quick ? ' (quick run)' : ''} — p99 limit ${r.meta.limits.e2eP99Ms} ms`,
    },
    width: 620,
    height: 360,
    background: 'white',
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'offered', type: 'quantitative', title: 'offered load (events/s)', scale: { type: 'log' } },
          y: { field: 'latency', type: 'quantitative', title: 'end-to-end latency (ms)', scale: { type: 'log' } },
          color: { field: 'system', type: 'nominal', title: 'system' },
          // The dash legend has no colour of its own (colour is the system): its strokes are drawn in grey.
          strokeDash: {
            field: 'percentile',
            type: 'nominal',
            title: 'percentile',
            legend: {
              symbolType: 'stroke',
              symbolStrokeWidth: 2,
              encode: { symbols: { update: { stroke: { value: '#444' } } } },
            },
          },
          detail: { field: 'percentile' },
        },
      },
      {
        data: { values: [{ limit: r.meta.limits.e2eP99Ms }] },
        mark: { type: 'rule', color: 'gray', strokeDash: [2, 2] },
        encoding: { y: { field: 'limit', type: 'quantitative' } },
      },
    ],
  } as never).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, { font: { loadSystemFonts: true }, fitTo: { mode: 'zoom', value: 1.5 } }).render().asPng();
  return { svg, png: Buffer.from(png) };
}

export async function writeReport(r: BenchResults, dir: string, base: string): Promise<string[]> {
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
  fs.writeFileSync(md, `${renderMarkdown(r, chartFile, loadPrevious(r))}\n`);
  return [md, json, ...files];
}

/** The earlier committed result, read when the report is written (so --render of any run compares with the same one). */
function loadPrevious(r: BenchResults): Previous | undefined {
  let results: BenchResults;
  try {
    results = JSON.parse(fs.readFileSync(PREVIOUS_RESULT, 'utf8')) as BenchResults;
  } catch {
    return undefined;
  }
  let commitsBetween: number | undefined;
  try {
    const log = execFileSync('git', ['rev-list', '--count', `${results.meta.sha}..${r.meta.sha}`], {
      cwd: path.dirname(PREVIOUS_RESULT),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    commitsBetween = Number(log.trim()) || undefined;
  } catch {
    // No git, or a sha it does not know: the report says less.
  }
  return { file: PREVIOUS_RESULT, results, commitsBetween };
}

/** The settings cache: what it could save at most, against what an event costs, and the verdict that follows. */
function settingsCacheSection(r: BenchResults): string[] {
  const lookup = r.optimisations.settingsLookup;
  if (!lookup) return [];
  const chat = r.systems.find((s) => s.name === 'chat-webhooks');
  const c = chat?.resources?.cpuMsPerEvent;
  const eventCpu = c ? c.api + (c.worker ?? 0) + Object.values(c.engines).reduce((a, b) => a + b, 0) : undefined;
  const saved = lookup.cpuMsPerEvent.client + (lookup.cpuMsPerEvent.postgres ?? 0);
  const share = eventCpu ? saved / eventCpu : undefined;
  // Worth its invalidation machinery only if it could move throughput by more than the run-to-run noise.
  const worth = share !== undefined && share >= 0.03;
  return [
    '### Settings cache in the worker',
    '',
    `prepareEvent reads the app, its webhooks for the event's type and its active conditions on every event. A cache would turn these three reads ` +
      `into map lookups (the writes stay). Measured alone, as prepareEvent issues them, ${lookup.iterations} times on the bench database over one connection:`,
    '',
    "| Reads a cache would replace | p50 / p99 on the event's path (ms) | CPU ms per event: worker (pg driver) / Postgres | Share of a chat-webhooks event's CPU |",
    '|---|---|---|---:|',
    `| findApp, listWebhooksForEvent, listActiveConditions | ${ms(lookup.pathMs.p50)} / ${ms(lookup.pathMs.p99)} | ${f(lookup.cpuMsPerEvent.client, 2)} / ` +
      `${lookup.cpuMsPerEvent.postgres === null ? 'not readable (embedded PGlite)' : f(lookup.cpuMsPerEvent.postgres, 2)} | ` +
      `${share === undefined ? '–' : `${f(share * 100, 1)}% of ${f(eventCpu, 1)} ms`} |`,
    '',
    worth
      ? '**Worth building**: the reads are a large enough share of an event to matter. It needs invalidation across processes (Postgres LISTEN/NOTIFY ' +
        'from triggers on apps and webhooks) and a fallback to direct reads when the listener is down.'
      : '**Not built (rejected on these figures).** The most a cache could save is below the run-to-run noise of the throughput figures (3% of an ' +
        "event's CPU), while it would add real risk: every API and worker process would need invalidation (LISTEN/NOTIFY, which PgBouncer in " +
        'transaction mode and the embedded PGlite do not carry reliably), and a stale entry would send payloads under privacy settings or to ' +
        'webhooks the owner has just changed. The reads stay; they are primary-key and indexed lookups.',
    '',
  ];
}
