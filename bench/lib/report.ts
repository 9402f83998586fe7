/**
 * The results: JSON with every figure, a Markdown report, and a chart (latency against offered load, one line per
 * system) drawn by Vega-Lite, rendered to SVG by Vega and to PNG by resvg.
 */
import fs from 'node:fs';
import path from 'node:path';
import { round } from './common';
import type { Breakdown } from './history';
import type { LIMITS, RampResult, StepResult } from './load';
import type { ProfileSummary } from './profile';
import type { ReceiverStats } from './infra';

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
}

export interface BenchResults {
  meta: {
    date: string;
    sha: string;
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
  fanout: Array<{ webhooks: number; maxEventsPerS: number; capped: boolean; deliveriesPerS: number; atMax?: StepResult; steps: StepResult[] }>;
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
    tuning: Array<ToggleResult & { value: Record<string, unknown> }>;
    pragmas: Array<ToggleResult & { value: string[] }>;
  };
  profile?: { rate: number; durationS: number; events: number; api?: ProfileSummary; worker?: ProfileSummary };
  receiver?: ReceiverStats;
  notes: string[];
}

const f = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? '–' : String(round(n, digits)));
const ms = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : n >= 100 ? String(Math.round(n)) : String(round(n, 1)));
const pct = (n: number) => `${round(n * 100, 1)}%`;

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

function targets(r: BenchResults): string[] {
  const chat = r.systems.find((s) => s.name === 'chat-webhooks');
  const bare = r.systems.find((s) => s.name === 'bare-temporal');
  const mark = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');
  const ratio = chat?.max && bare?.max ? chat.max / bare.max : undefined;
  const p99 = chat?.half?.e2eMs.p99;
  const ingest = chat?.half?.ingestMs.p99;
  const calls = r.conditions?.callsPerEvent;
  return [
    '| Target (issue 7) | Measured | Verdict |',
    '|---|---|---|',
    `| chat-webhooks throughput ≥ 0.9 × bare-temporal | ${chat?.max ?? '–'} vs ${bare?.max ?? '–'} events/s = ${ratio === undefined ? '–' : f(ratio, 2)} × | ${mark(ratio === undefined ? undefined : ratio >= 0.9)} |`,
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

function breakdownTable(b: Breakdown | undefined): string[] {
  if (!b || b.workflows === 0) return ['(no histories read)'];
  return [
    `${b.workflows} workflows sampled from the 50% run: ${f(b.workflowTasksPerWorkflow)} workflow tasks, ${f(b.activitiesPerWorkflow)} activities and ` +
      `${f(b.historyEventsPerWorkflow, 0)} history events per workflow; workflow start → close p50 ${ms(b.total.p50)} ms, p95 ${ms(b.total.p95)} ms.`,
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
    ...p.functions.map((fn) => `| \`${fn.fn.replace(/\|/g, '\\|')}\` | ${fn.area} | ${f(fn.ms, 0)} | ${pct(fn.share)} |`),
  ];
}

function phase(b: Breakdown | undefined, name: string): { p50: number; p95: number } | undefined {
  return b?.phases.find((p) => p.phase === name);
}

/** The code changes this run points to, with expected gains worked out from its own figures. */
function recommendations(r: BenchResults): string[] {
  const chat = r.systems.find((s) => s.name === 'chat-webhooks');
  const bare = r.systems.find((s) => s.name === 'bare-temporal');
  const cores = r.meta.machine.cores;
  const base = r.optimisations.baseline;
  const out: string[] = [];
  if (!chat?.resources || !chat.breakdown) return ['(chat-webhooks was not measured)'];
  const c = chat.resources.cpuMsPerEvent;
  const chatTemporal = c.engines.temporal ?? 0;
  const chatTotal = c.api + (c.worker ?? 0) + Object.values(c.engines).reduce((a, b) => a + b, 0);
  const perHistoryEvent = chatTemporal / Math.max(1, chat.breakdown.historyEventsPerWorkflow);
  const bareTemporal = bare?.resources?.cpuMsPerEvent.engines.temporal;
  const barePerHistoryEvent = bareTemporal !== undefined && bare?.breakdown ? bareTemporal / Math.max(1, bare.breakdown.historyEventsPerWorkflow) : undefined;
  const workerPerTask = (c.worker ?? 0) / Math.max(1, chat.breakdown.workflowTasksPerWorkflow + chat.breakdown.activitiesPerWorkflow);
  const ceiling = (ms: number) => (cores * 1000) / Math.max(0.001, ms);
  out.push(
    `chat-webhooks is CPU-bound here: ${f(chatTotal, 1)} CPU ms per event (API ${f(c.api, 1)}, worker ${f(c.worker, 1)}, Temporal ${f(chatTemporal, 1)}, ` +
      `Postgres ${f(c.engines.postgres, 1)}) against ${cores * 1000} ms per second of CPU on ${cores} cores. The Temporal dev server costs about ` +
      `${f(perHistoryEvent, 2)} CPU ms per history event for chat-webhooks${barePerHistoryEvent !== undefined ? ` (${f(barePerHistoryEvent, 2)} for bare-temporal)` : ''}, ` +
      `and the worker about ${f(workerPerTask, 1)} ms per workflow task or activity. So the gains below are worked out as history events, ` +
      'tasks and queries removed per event, times those costs: estimates, except where a row above measured the change.',
    '',
  );
  const zod = r.optimisations.bundle[0];
  const delta = (a: number, b: number) => `${a <= b ? '−' : '+'}${pct(Math.abs(a - b) / Math.max(0.001, b))}`;
  const zodVerdict = !zod || !base
    ? 'not measured in this run'
    : `${f(zod.cpuMsPerEvent.total, 1)} CPU ms per event (worker ${f(zod.cpuMsPerEvent.worker, 1)}) against the baseline's ${f(base.cpuMsPerEvent.total, 1)} ` +
      `(worker ${f(base.cpuMsPerEvent.worker, 1)}): ${delta(zod.cpuMsPerEvent.total, base.cpuMsPerEvent.total)} in all, ${delta(zod.cpuMsPerEvent.worker, base.cpuMsPerEvent.worker)} in the worker; ` +
      `highest rate held ${zod.maxEventsPerS}${zod.allPassed ? '+' : ''} against ${base.maxEventsPerS}${base.allPassed ? '+' : ''} events/s` +
      (zod.cpuMsPerEvent.total < base.cpuMsPerEvent.total * 0.95 ? '' : ' — no clear gain in this run');
  out.push(
    `1. **Keep zod out of the workflow bundle.** Measured above: ${zodVerdict}. ` +
      'Change: move `WEBHOOKS_CHANGED_SIGNAL`, `chatEventWorkflowId` and `conversationWorkflowId` from src/domain/events.ts (which builds zod schemas as it loads) into a module ' +
      'without zod, and import that from workflows/. The SDK gives every workflow its own module cache, so every module in the bundle is evaluated again for each workflow.',
  );
  const touch = phase(chat.breakdown, 'touchConversation: run');
  const evaluate = phase(chat.breakdown, 'evaluateConditions: run');
  const saved2 = 2 * 3 * perHistoryEvent + 2 * workerPerTask;
  out.push(
    '2. **Do not schedule activities that have nothing to do.** Every `message_sent` event runs `touchConversation` even with CONVERSATION_IDLE_TIMEOUT=0 ' +
      `(it returns "off"; p50 ${ms(touch?.p50)} ms) and \`evaluateConditions\` for apps without conditions (one query; p50 ${ms(evaluate?.p50)} ms). ` +
      'The API already loads the app when it accepts the event: pass `tracksConversations` and `hasConditions` in the workflow input and skip both. ' +
      `Each activity is 3 history events (scheduled, started, completed) and a worker task: expected about ${f(saved2, 1)} CPU ms less per event, ` +
      `raising the CPU-bound ceiling from ${f(ceiling(chatTotal), 0)} to about ${f(ceiling(chatTotal - saved2), 0)} events/s.`,
  );
  const prepRun = phase(chat.breakdown, 'prepareDeliveries: run');
  const wft2Wait = phase(chat.breakdown, 'workflow task 2+: wait for worker');
  const wft2Run = phase(chat.breakdown, 'workflow task 2+: run');
  // Three activity events become one marker, and the workflow task that followed the activity (three events) goes.
  const savedLocal = 5 * perHistoryEvent + workerPerTask;
  out.push(
    '3. **Local activities for loading configs and building payloads** (`prepareDeliveries`, and `evaluateConditions` when an app has conditions). A local activity ' +
      'runs inside the workflow task: one marker event instead of three, no activity task, and no extra workflow task to carry on afterwards. ' +
      `From the histories, \`prepareDeliveries\` runs ${ms(prepRun?.p50)} ms and is followed by a workflow task before \`deliverWebhook\` is scheduled ` +
      `(the workflow's later tasks wait ${ms(wft2Wait?.p50)} ms and run ${ms(wft2Run?.p50)} ms at p50): expected e2e p50 about ${ms((wft2Wait?.p50 ?? 0) + (wft2Run?.p50 ?? 0))} ms lower, ` +
      `and about ${f(savedLocal, 1)} CPU ms less per event. ` +
      'Keep them short (database only, as now): a local activity holds the workflow task while it runs.',
  );
  const db = chat.dbPerEvent;
  const pgShare = (c.engines.postgres ?? 0) / Math.max(0.001, chatTotal);
  out.push(
    '4. **A config cache in the API and the worker** (app by key hash and id, webhooks by app and event type), with a short TTL plus invalidation where the ' +
      'settings routes change them (other processes see the change within the TTL; LISTEN/NOTIFY can make it immediate). ' +
      `Measured: ${db ? `${f(db.xacts, 1)} Postgres transactions per event` : 'Postgres transactions per event not available (PGlite)'}, ` +
      `Postgres ${f(c.engines.postgres, 1)} CPU ms per event (${pct(pgShare)} of the total). The API reads the app three times per event (key lookup, ` +
      '`scopeToApp`, `acceptEvent`) and the worker twice more (`findApp`, `listWebhooksForEvent`): a cache removes about 5 reads, so expect roughly a third ' +
      'fewer transactions and a few ms off ingest, but little throughput, since Postgres is a small share of the CPU.',
  );
  const ingest = chat.half?.ingestMs;
  out.push(
    `5. **Ingest p99 (target 15 ms; measured p50 ${ms(ingest?.p50)}, p99 ${ms(ingest?.p99)} ms).** One event is five sequential Postgres round trips and one ` +
      'Temporal call in the API: key lookup, app (`scopeToApp`), app again (`acceptEvent`), `findEvent`, `workflow.start`, `recordEvent`. Passing the app that ' +
      '`scopeToApp` loaded into `acceptEvent` removes one; the cache above two more. The p99 is mostly queueing behind CPU shared with the worker and the ' +
      'dev server on this machine; the items above, by cutting CPU per event, cut it too.',
  );
  const wft1Wait = phase(chat.breakdown, 'workflow task 1: wait for worker');
  const bareWft1Wait = phase(bare?.breakdown, 'workflow task 1: wait for worker');
  out.push(
    '6. **Eager workflow start** needs the client and a worker in one process sharing a connection: the production layout (separate `api` and `worker`) ' +
      `cannot use it; only \`chat-webhooks dev\` could. There it would save the first workflow task's wait for a worker (p50 ${ms(wft1Wait?.p50)} ms in the ` +
      `histories${bareWft1Wait ? `; ${ms(bareWft1Wait.p50)} ms for bare-temporal` : ''}). Not worth it for production. That wait grows with load (it is a few ms at low ` +
      'rates): a new workflow\'s first task goes to the normal task queue, which only a fifth of the worker\'s workflow pollers watch by default ' +
      '(`nonStickyToStickyPollRatio` 0.2); later tasks go to the sticky queue. Measuring `nonStickyToStickyPollRatio` and the workflow poller count is the next tuning experiment.',
  );
  const tunings = r.optimisations.tuning;
  const better = base ? tunings.filter((t) => t.maxEventsPerS > base.maxEventsPerS) : [];
  out.push(
    '7. **Worker tuning from the environment.** The product reads none; the rows above pass it through a wrapper. ' +
      (tunings.length && base
        ? `Measured: ${tunings.map((t) => `${JSON.stringify(t.value)} held ${t.maxEventsPerS}${t.allPassed ? '+' : ''} events/s at ${f(t.cpuMsPerEvent.total, 1)} CPU ms per event`).join('; ')}; baseline ${base.maxEventsPerS}${base.allPassed ? '+' : ''} at ${f(base.cpuMsPerEvent.total, 1)}. ` +
          (better.length
            ? `${better.map((t) => JSON.stringify(t.value)).join(' and ')} held a higher rate than the baseline in this run: worth exposing as environment variables and re-measuring. `
            : 'No setting held a higher rate than the baseline: with the CPU the limit, more slots do not help on this machine. ')
        : '') +
      'Exposing the SDK\'s concurrent activities, concurrent workflow tasks and cached workflows as environment variables is cheap, and matters on ' +
      'machines with more cores.',
  );
  const chatConn = chat.receiver;
  out.push(
    `8. **Keep-alive (undici agents)** is already on: ${chatConn ? `${f(chatConn.requests / Math.max(1, chatConn.connections), 0)} deliveries per new connection to the receiver` : 'see above'}. ` +
      'Nothing to gain here against a local receiver; against remote HTTPS receivers, reuse matters more (TLS handshakes), and the current agent already does it.',
  );
  return out;
}

export function renderMarkdown(r: BenchResults, chartFile: string | undefined): string {
  const m = r.meta;
  const chat = r.systems.find((s) => s.name === 'chat-webhooks');
  const bare = r.systems.find((s) => s.name === 'bare-temporal');
  const out: string[] = [
    `# Benchmark ${m.date} (${m.sha})${m.quick ? ' — QUICK RUN: tiny sizes, figures are not meaningful' : ''}`,
    '',
    `Command: \`${m.command}\`${process.env.DATABASE_URL ? ' with `DATABASE_URL` set' : ''} — took ${Math.round(m.durationS)} s.`,
    '',
    `Machine: ${m.machine.cpu}, ${m.machine.cores} cores, ${m.machine.memoryGb} GB memory, ${m.machine.os}, Node ${m.machine.node}.`,
    `Temporal: ${m.infra.temporal}. Postgres: ${m.infra.postgres}. Redis: ${m.infra.redis}.`,
    'Everything (load generator, receiver, systems, Temporal, Postgres, Redis) shares this one machine. ' +
      `Before the run the machine was ${pct(m.busyBeforeStart)} busy (1-minute load average ${f(m.loadAverage.start, 2)} at the start, ${f(m.loadAverage.end, 2)} at the end)` +
      (m.busyBeforeStart > 0.2 ? ': **other work was running, so these figures understate what a quiet machine does**.' : '.'),
    '',
    '## Results',
    '',
    ...systemTable(r),
    '',
    `Max sustained: the highest open-loop rate at which a ${r.systems[0]?.ramp?.steps[0]?.durationS ?? '?'} s step kept **p99 end-to-end ≤ ${m.limits.e2eP99Ms} ms** and **errors ≤ ${m.limits.errorRate * 100}%** ` +
      '(ingest errors, events dropped past ' + `${m.limits.maxOutstanding} requests in flight, and events not fully delivered once the receiver went quiet). ` +
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
    ...r.optimisations.workerStart.map((w) => `| ${w.prebuilt ? 'prebuilt bundle (WORKFLOW_BUNDLE_PATH)' : 'bundled at start'} | ${ms(w.ms)} | ${f(w.peakRssMb, 0)} |`),
    '',
    `Bundling in the bench process took ${ms(m.infra.bundleMs?.chatWebhooks)} ms for chat-webhooks' workflows. The prebuilt bundle only changes start-up; ` +
      'once running, the worker executes the same code. **Kept** (the Dockerfile already sets WORKFLOW_BUNDLE_PATH; every run here uses it).',
    '',
    `### chat-webhooks settings — each a short ramp at ${rates(r.optimisations.baseline)} events/s (multiples of the main run's maximum), back to back with a restarted baseline`,
    '',
    '| Variant | Highest rate that held | e2e p50 / p99 (ms) at the main max, or at the first rate if that failed | Ingest p99 (ms) | Errors | CPU ms per event (API / worker / Temporal + Postgres) |',
    '|---|---:|---|---:|---:|---|',
    ...(r.optimisations.baseline ? toggleRows([{ ...r.optimisations.baseline, value: r.optimisations.baseline.label }], (v) => `**${v}**`) : []),
    ...toggleRows(r.optimisations.runtime, () => 'compiled JavaScript (`tsc -p tsconfig.build.json`, as the Docker image runs) instead of tsx'),
    ...toggleRows(r.optimisations.bundle, () => 'workflow bundle without zod (stubbed; see below)'),
    ...toggleRows(r.optimisations.poolSize, (v) => `PG_POOL_MAX=${v}`),
    ...toggleRows(r.optimisations.tuning, (v) => `worker tuning \`${JSON.stringify(v)}\``),
    '',
    '- **Reading these rows.** Each variant is a fresh dev server and fresh processes, measured one after another, with 3 s steps ' +
      '25% apart. A difference of one step in "highest rate that held", with CPU per event within a few per cent, is run-to-run noise; ' +
      'CPU per event is the steadier figure.',
    '- **Runtime.** `node bin/chat-webhooks.js` in a checkout runs the TypeScript sources through tsx (with source-map support); ' +
      'the Docker image runs the compiled JavaScript. The main rows use bin/chat-webhooks.js, as a developer runs it.',
    '- **Workflow bundle without zod.** workflows/deliver.ts and workflows/conversation.ts import constants from ' +
      'src/domain/events.ts, which builds zod schemas when it loads, so zod is in the workflow bundle ' +
      `(${f(m.infra.bundleKb?.chatWebhooks, 0)} KB; ${f(m.infra.bundleKb?.chatWebhooksWithoutZod, 0)} KB without zod; bare-temporal's is ${f(m.infra.bundleKb?.bareTemporal, 0)} KB). ` +
      'The SDK loads the bundle\'s modules afresh for every workflow (a module cache per workflow), so every workflow builds ' +
      'those schemas again. This row bundles the same workflows with zod replaced by a stub (bench/workflows/zod-stub.ts), which ' +
      'workflows never call: it measures what moving those constants into a zod-free module would save, without changing the product.',
    '- **PG_POOL_MAX** sets the pool of the API and of the worker (default 10).',
    '- **Worker tuning.** src/config.ts reads no worker tuning from the environment (no variable for concurrent activities, ' +
      'workflow tasks or cached workflows), although `startWorker` takes a `tuning` option. These rows run the same worker ' +
      'wiring through a bench wrapper (bench/systems/chat-webhooks-tuned-worker.ts) that passes the options. SDK defaults: ' +
      '40 concurrent workflow tasks, 100 concurrent activities, cached workflows sized from memory.',
    '',
    `### Dev server SQLite pragmas — bare-temporal, a short ramp at ${r.optimisations.pragmas.map((p) => rates(p)).sort((a, b) => b.length - a.length)[0] ?? '–'} events/s`,
    '',
    'The main runs use a dev server as `startDevServer` starts it without a file: in memory, where journal settings hardly ' +
      'matter. `npm start` gives it a SQLite file with WAL and synchronous=NORMAL. Each row is a fresh dev server.',
    '',
    '| Dev server | Highest rate that held | e2e p50 / p99 (ms) at bare-temporal\'s max, or at the first rate if that failed | Ingest p99 (ms) | Errors | CPU ms per event (API / worker / Temporal) |',
    '|---|---:|---|---:|---:|---|',
    ...r.optimisations.pragmas.map((t) => toggleRows([t], () => t.label)[0]!),
    '',
    '`startDevServer` already passes `journal_mode=WAL`, with `synchronous=OFF` in memory and `NORMAL` on a file (a process crash loses ' +
      'nothing with WAL; a power cut may lose the last transactions): kept. Compare the rows to see what WAL is worth against SQLite\'s defaults.',
    '',
    '### Keep-alive connection reuse',
    '',
    '| System | New connections the receiver accepted | Deliveries | Deliveries per connection |',
    '|---|---:|---:|---:|',
    ...r.systems
      .filter((s) => s.status === 'measured' && s.receiver)
      .map((s) => `| \`${s.name}\` | ${s.receiver!.connections} | ${s.receiver!.requests} | ${f(s.receiver!.requests / Math.max(1, s.receiver!.connections), 0)} |`),
    '',
    "The product's delivery agent (activities/delivery-agent.ts) already keeps connections alive (undici Agent, 4 s keep-alive), " +
      'so deliveries to one endpoint reuse a handful of sockets.',
    '',
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
  const values = r.systems.flatMap((s) =>
    (s.ramp?.steps ?? []).flatMap((step) => [
      { system: s.name, offered: step.rate, percentile: 'p50', latency: Math.max(0.1, step.e2eMs.p50) },
      { system: s.name, offered: step.rate, percentile: 'p99', latency: Math.max(0.1, step.e2eMs.p99) },
    ]),
  ).filter((v) => Number.isFinite(v.latency));
  if (values.length === 0) return undefined;
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const { Resvg } = await import('@resvg/resvg-js');
  const spec = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'End-to-end latency against offered load', subtitle: `${r.meta.date} ${r.meta.sha}${r.meta.quick ? ' (quick run)' : ''} — p99 limit ${r.meta.limits.e2eP99Ms} ms` },
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
          strokeDash: { field: 'percentile', type: 'nominal', title: 'percentile', legend: { symbolType: 'stroke', symbolStrokeWidth: 2, encode: { symbols: { update: { stroke: { value: '#444' } } } } } },
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
  fs.writeFileSync(json, `${JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  const md = path.join(dir, `${base}.md`);
  fs.writeFileSync(md, `${renderMarkdown(r, chartFile)}\n`);
  return [md, json, ...files];
}
