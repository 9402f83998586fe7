/**
 * `npm run bench [-- --quick] [-- --out DIR]`: chat-webhooks against direct delivery, BullMQ and bare Temporal, in one
 * run on this machine, then the effect of each setting that can be changed without touching the product's code.
 *
 * It starts everything it needs: a Temporal dev server (in memory), Postgres (a fresh database on DATABASE_URL, else
 * embedded PGlite), Redis for BullMQ (its own redis-server, installed with apt when missing; without it the bullmq row
 * says why it was skipped), a recording receiver and a fake OpenAI-compatible server. Results go to
 * bench/results/<date>-<sha>.{md,json,png,svg}, or DIR.
 *
 * Every system gets the same chat event body, builds the same payload with the product's payload builder, signs it
 * with `standardwebhooks` and POSTs it to the same receiver process. See bench/lib/load.ts for the load model.
 */
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';

import { bundleWorkflowCode } from '@temporalio/worker';

import { conversationWorkflowId } from '../src/temporal/contracts';
import { generateSecretsKey } from '../src/security/secret-box';
import { WORKFLOWS_PATH } from '../src/temporal/worker';
import { conditionIdsIn, type FakeLlm, startFakeLlm } from '../support/fake-llm';
import { nowMs, round, sleep } from './lib/common';
import { historyBreakdown } from './lib/history';
import {
  type Database,
  type ReceiverHandle,
  type Redis,
  startDatabase,
  startMainTemporal,
  startPragmaTemporal,
  startReceiverProcess,
  startRedis,
  temporalCliVersion,
  type TemporalServer,
} from './lib/infra';
import {
  closePools,
  conversationIdOf,
  EVENTS_PER_CONVERSATION,
  findMax,
  LIMITS,
  type RampOptions,
  runStep,
  type StepResult,
  type Target,
  Tracker,
} from './lib/load';
import { BENCH_DIR, groupCpu, groupCpuDelta, PACKAGE_ROOT, readProc } from './lib/procs';
import { summariseProfiles } from './lib/profile';
import { type BenchResults, type SystemResult, type ToggleResult, writeReport } from './lib/report';
import { measureSettingsLookups } from './lib/settings-lookup';
import {
  type ChatBase,
  chatCall,
  type ChatOptions,
  closeConnections,
  type Common,
  type RunningChat,
  type RunningSystem,
  startBareTemporal,
  startBullmq,
  startChat,
  startDirect,
} from './lib/systems';
import { BARE_WORKFLOWS_PATH } from './systems/bare-temporal-worker';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    /** Comma-separated systems to measure (default: all four). Fan-out, conditions, profile need chat-webhooks. */
    only: { type: 'string' },
    /** Measure the systems only: no fan-out, conditions, optimisations or profile. */
    'systems-only': { type: 'boolean', default: false },
    /** Write the report and chart again from a results JSON (after a change to the report), measuring nothing. */
    render: { type: 'string' },
  },
});
const ALL_SYSTEMS = ['direct', 'bullmq', 'bare-temporal', 'chat-webhooks'];
const SELECTED = new Set(args.only ? args.only.split(',').map((s) => s.trim()) : ALL_SYSTEMS);
for (const name of SELECTED)
  if (!ALL_SYSTEMS.includes(name)) throw new Error(`--only: unknown system ${name} (${ALL_SYSTEMS.join(', ')})`);
const EXTRAS = !args['systems-only'];
const QUICK = args.quick!;
const OUT_DIR = path.resolve(args.out ?? path.join(BENCH_DIR, 'results'));

/** Sizes: --quick must finish everything in under 2 minutes on a 2-core machine; the full run in about 10. */
const SIZES = QUICK
  ? {
      ramp: (_start: number): RampOptions => ({
        start: 5,
        factor: 3,
        cap: 20,
        refine: 0,
        stepS: 1.5,
        drainS: 8,
        rates: [5, 20],
      }),
      halfS: 2,
      fanout: (_n: number, _max: number): RampOptions => ({
        start: 4,
        factor: 2,
        cap: 4,
        refine: 0,
        stepS: 1.5,
        drainS: 8,
        rates: [4],
      }),
      conditions: { events: 6, rate: 4 },
      toggleMultipliers: [1],
      toggleStepS: 1.5,
      poolSizes: [2],
      tunings: ['high'] as const,
      pragmas: ['file, SQLite defaults'],
      startRepeats: 1,
      profileS: 2,
      warmUp: { rate: 10, s: 1 },
    }
  : {
      ramp: (start: number): RampOptions => ({ start, factor: 2, cap: 6400, refine: 2, stepS: 5, drainS: 45 }),
      halfS: 10,
      fanout: (n: number, max: number): RampOptions => ({
        start: Math.max(1, Math.round(max / Math.sqrt(n) / 2)),
        factor: 2,
        cap: 3200,
        refine: 1,
        stepS: 4,
        drainS: 45,
      }),
      conditions: { events: 100, rate: 10 },
      toggleMultipliers: [0.75, 1, 1.25, 1.5],
      toggleStepS: 3,
      poolSizes: [2, 25],
      tunings: ['low', 'high'] as const,
      pragmas: [
        'file, SQLite defaults',
        'file, WAL + synchronous=NORMAL',
        'file, WAL + synchronous=OFF',
        'in memory, WAL + synchronous=OFF',
      ],
      startRepeats: 2,
      profileS: 12,
      warmUp: { rate: 20, s: 3 },
    };

/** Worker sizing as an operator sets it: the variables src/config.ts reads (unset: the SDK's defaults). */
const TUNINGS: Record<'low' | 'high', Record<string, string>> = {
  low: { WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '10', WORKER_MAX_CONCURRENT_ACTIVITIES: '20' },
  high: {
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '200',
    WORKER_MAX_CONCURRENT_ACTIVITIES: '400',
    WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '400',
    WORKER_MAX_CACHED_WORKFLOWS: '5000',
  },
};

const PRAGMAS: Record<string, string[] | 'startDevServer'> = {
  'file, SQLite defaults': [],
  'file, WAL + synchronous=NORMAL': ['journal_mode=WAL', 'synchronous=NORMAL'],
  'file, WAL + synchronous=OFF': ['journal_mode=WAL', 'synchronous=OFF'],
  'in memory, WAL + synchronous=OFF': 'startDevServer',
};

const RAMP_START: Record<string, number> = { direct: 100, bullmq: 50, 'bare-temporal': 25, 'chat-webhooks': 25 };

const started = nowMs();
function log(message: string): void {
  process.stderr.write(`[bench ${((nowMs() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}
function logStep(system: string) {
  return (s: StepResult) =>
    log(
      `  ${system} @ ${s.rate}/s: ${s.pass ? 'pass' : 'FAIL'} e2e p50 ${round(s.e2eMs.p50)} p99 ${round(s.e2eMs.p99)} ms, ingest p99 ${round(s.ingestMs.p99)} ms, ` +
        `errors ${round(s.errorRate * 100, 2)}% (${s.reason})`,
    );
}

const cleanups: Array<() => Promise<void>> = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    await fn().catch((error) => log(`cleanup: ${(error as Error).message}`));
  }
}

function gitSha(): string {
  try {
    return (
      execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
        cwd: PACKAGE_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || 'nogit'
    );
  } catch {
    return 'nogit';
  }
}

/** Whether tracked files differ from HEAD: then the results' sha names code that is not what ran. */
function gitDirty(): boolean | undefined {
  try {
    return (
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
        cwd: PACKAGE_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() !== ''
    );
  } catch {
    return undefined;
  }
}

function machine() {
  let osName = os.type();
  try {
    osName = /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    // keep os.type()
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    os: osName,
  };
}

/**
 * The production build's JavaScript (what the Docker image runs), compiled into node_modules/.cache so that dist/ is
 * left alone and the package root and node_modules still resolve from it.
 */
// One folder per run: two benchmarks (say, the test suite's and a manual one) may run at once.
const COMPILED_RUN_DIR = path.join(
  PACKAGE_ROOT,
  'node_modules',
  '.cache',
  'chat-webhooks-bench',
  `${process.pid}-${crypto.randomBytes(3).toString('hex')}`,
);
const COMPILED_DIR = path.join(COMPILED_RUN_DIR, 'dist');
async function compileBuild(): Promise<{ cli?: string; ms: number; error?: string }> {
  const t0 = nowMs();
  const tsc = path.join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', COMPILED_DIR], {
      cwd: PACKAGE_ROOT,
    });
    return { cli: path.join(COMPILED_DIR, 'src', 'cli.js'), ms: nowMs() - t0 };
  } catch (error) {
    return { ms: nowMs() - t0, error: (error as Error).message.split('\n')[0] };
  }
}

/** Share of the machine's CPU time that was busy over `ms`, from /proc/stat: is anything else running? */
async function machineBusy(ms: number): Promise<number> {
  const read = () => {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3]! + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = read();
    await sleep(ms);
    const b = read();
    return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
  } catch {
    return Number.NaN;
  }
}

async function writeBundle(workflowsPath: string, file: string, opts: { stubZod?: boolean } = {}): Promise<number> {
  const t0 = nowMs();
  const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const zodStub = path.join(BENCH_DIR, 'workflows', 'zod-stub.ts');
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: silent as never,
    ...(opts.stubZod
      ? {
          webpackConfigHook: (config) => ({
            ...config,
            resolve: { ...config.resolve, alias: { ...(config.resolve?.alias as object), zod$: zodStub } },
          }),
        }
      : {}),
  });
  fs.writeFileSync(file, code);
  return nowMs() - t0;
}

interface Ctx {
  tracker: Tracker;
  receiver: ReceiverHandle;
  temporal: TemporalServer;
  db: Database;
  redis: Redis;
  llm: FakeLlm;
  common: Common;
  chatBase: ChatBase;
  bareBundle: string;
  /** chat-webhooks' workflows bundled with zod stubbed out (see bench/workflows/zod-stub.ts); undefined if that failed. */
  zodFreeBundle?: string;
  tmp: string;
}

/**
 * Fresh processes are slow at first (JIT, connection pools, Temporal's sticky caches): a short unmeasured run first.
 */
async function warmUp(ctx: Ctx, target: Target): Promise<void> {
  await runStep(target, ctx.tracker, { rate: SIZES.warmUp.rate, durationS: SIZES.warmUp.s, drainS: 10 });
}

/** CPU seconds of a system's processes, engine included, and of the bench's own load generator and receiver. */
function cpuNow(system: RunningSystem, receiverPid: number) {
  const self = process.cpuUsage();
  return {
    generator: (self.user + self.system) / 1e6,
    receiver: readProc(receiverPid)?.cpuS ?? 0,
    api: readProc(system.api.pid)?.cpuS ?? 0,
    worker: system.worker ? (readProc(system.worker.pid)?.cpuS ?? 0) : 0,
    engines: Object.fromEntries(Object.entries(system.engines).map(([name, pids]) => [name, groupCpu(pids())])),
  };
}

/** The throughput search, then a run at 50% of the maximum with CPU figures. */
async function measureSystem(ctx: Ctx, system: RunningSystem, target: Target): Promise<SystemResult> {
  const stepOf = (rate: number, durationS: number, drainS: number) =>
    runStep(target, ctx.tracker, { rate, durationS, drainS });
  const rampOpts = SIZES.ramp(RAMP_START[system.name] ?? 25);
  const receiverAtStart = await ctx.receiver.stats();
  await warmUp(ctx, target);
  log(`${system.name}: throughput search`);
  const ramp = await findMax((rate) => stepOf(rate, rampOpts.stepS, rampOpts.drainS), rampOpts, logStep(system.name));
  const halfRate = Math.max(1, Math.round(ramp.max / 2));
  log(`${system.name}: max ${ramp.max}/s${ramp.capped ? ' (highest rate tried)' : ''}; latency run at ${halfRate}/s`);
  const dbBefore = system.name === 'chat-webhooks' ? await ctx.db.counters() : undefined;
  const before = cpuNow(system, ctx.receiver.pid);
  const t0 = nowMs();
  const half = await stepOf(halfRate, SIZES.halfS, 30);
  const wallS = (nowMs() - t0) / 1000;
  const after = cpuNow(system, ctx.receiver.pid);
  // Postgres publishes a backend's counters within about a second of its last transaction.
  const dbAfter = dbBefore ? await sleep(1_500).then(() => ctx.db.counters()) : undefined;
  const receiverAfter = await ctx.receiver.stats();
  logStep(system.name)(half);
  const perEvent = (a: number, b: number) => ((b - a) * 1000) / Math.max(1, half.accepted);
  return {
    name: system.name,
    status: 'measured',
    ramp,
    max: ramp.max,
    capped: ramp.capped,
    half,
    resources: {
      windowS: wallS,
      cpuMsPerEvent: {
        api: perEvent(before.api, after.api),
        worker: system.worker ? perEvent(before.worker, after.worker) : undefined,
        engines: Object.fromEntries(
          Object.keys(after.engines).map((n) => [
            n,
            (groupCpuDelta(before.engines[n]!, after.engines[n]!) * 1000) / Math.max(1, half.accepted),
          ]),
        ),
      },
      cpuPercent: {
        api: ((after.api - before.api) / wallS) * 100,
        worker: system.worker ? ((after.worker - before.worker) / wallS) * 100 : undefined,
        engines: Object.fromEntries(
          Object.keys(after.engines).map((n) => [
            n,
            (groupCpuDelta(before.engines[n]!, after.engines[n]!) / wallS) * 100,
          ]),
        ),
      },
      harnessCpuMsPerEvent: {
        generator: perEvent(before.generator, after.generator),
        receiver: perEvent(before.receiver, after.receiver),
      },
      peakRssMb: {
        api: readProc(system.api.pid)?.peakRssMb ?? 0,
        worker: system.worker ? readProc(system.worker.pid)?.peakRssMb : undefined,
      },
      totalCpuS: { api: after.api, worker: system.worker ? after.worker : undefined },
    },
    dbPerEvent:
      dbBefore && dbAfter
        ? {
            xacts: (dbAfter.xacts - dbBefore.xacts) / Math.max(1, half.accepted),
            rowsFetched: (dbAfter.rowsFetched - dbBefore.rowsFetched) / Math.max(1, half.accepted),
            rowsInserted: (dbAfter.rowsInserted - dbBefore.rowsInserted) / Math.max(1, half.accepted),
            rowsUpdated: (dbAfter.rowsUpdated - dbBefore.rowsUpdated) / Math.max(1, half.accepted),
          }
        : undefined,
    receiver: {
      connections: receiverAfter.connections - receiverAtStart.connections,
      requests: receiverAfter.requests - receiverAtStart.requests,
    },
    startMs: { api: system.apiStartMs, worker: system.workerStartMs },
    notes: [],
  };
}

async function runSystems(ctx: Ctx, results: BenchResults): Promise<RunningChat | undefined> {
  const notSelected = (name: string) =>
    results.systems.push({ name, status: 'skipped', skipReason: 'not selected (--only)', notes: [] });
  // direct
  if (!SELECTED.has('direct')) notSelected('direct');
  else {
    const system = await startDirect(ctx.common);
    try {
      const r = await measureSystem(ctx, system, system.target);
      r.notes.push('delivers inside the ingest call: e2e ≈ ingest; no durability, no retries');
      results.systems.push(r);
    } finally {
      await system.stop();
    }
  }
  // bullmq
  if (!SELECTED.has('bullmq')) notSelected('bullmq');
  else if (ctx.redis.available) {
    const system = await startBullmq(ctx.common, ctx.redis);
    try {
      const r = await measureSystem(ctx, system, system.target);
      r.notes.push(`Redis ${ctx.redis.version}, no persistence (--save '' --appendonly no); worker concurrency 100`);
      results.systems.push(r);
    } finally {
      await system.stop();
    }
  } else {
    log(`bullmq: skipped: ${ctx.redis.reason}`);
    results.systems.push({ name: 'bullmq', status: 'skipped', skipReason: ctx.redis.reason, notes: [] });
  }
  // bare-temporal
  if (!SELECTED.has('bare-temporal')) notSelected('bare-temporal');
  else {
    const system = await startBareTemporal(ctx.common, ctx.temporal, { bundlePath: ctx.bareBundle });
    try {
      const r = await measureSystem(ctx, system, system.target);
      r.breakdown = await historyBreakdown(
        ctx.temporal.address,
        r.half!.sampleIds.map((id) => `bare:${id}`),
      );
      r.notes.push('one workflow, one activity; no database; prebuilt workflow bundle');
      results.systems.push(r);
    } finally {
      await system.stop();
    }
  }
  // chat-webhooks: stays up for fan-out and conditions, on a dev server of its own
  if (!SELECTED.has('chat-webhooks')) {
    notSelected('chat-webhooks');
    return undefined;
  }
  await ctx.temporal.stop();
  ctx.temporal = await startMainTemporal();
  cleanups.push(() => ctx.temporal.stop());
  ctx.chatBase = chatBaseOn(ctx, ctx.temporal);
  quickServer = ctx.temporal;
  const chat = await startChat(ctx.chatBase);
  cleanups.push(() => chat.stop());
  await setUpChatApps(ctx, chat, results);
  const r = await measureSystem(ctx, chat, chatTarget(chat, mainApp!));
  r.breakdown = await historyBreakdown(
    ctx.temporal.address,
    r.half!.sampleIds.map((id) => `chat-event:${mainApp!.id}:${id}`),
  );
  // The idle-timer workflows of the sampled events' conversations (one per EVENTS_PER_CONVERSATION events).
  const conversations = [...new Set(r.half!.sampleIds.map((id) => conversationIdOf(id)))];
  r.conversationBreakdown = await historyBreakdown(
    ctx.temporal.address,
    conversations.map((c) => conversationWorkflowId(mainApp!.id, c)),
  );
  r.eventsPerConversation = EVENTS_PER_CONVERSATION;
  r.notes.push(
    'separate api and worker processes (bin/chat-webhooks.js, production env); message_sent events, ' +
      `${EVENTS_PER_CONVERSATION} per conversation; CONVERSATION_IDLE_TIMEOUT unset (the default, 30m, as users run it): each conversation's first message ` +
      'starts its idle-timer workflow, later ones only move its clock in Postgres; prebuilt workflow bundle',
  );
  results.systems.push(r);
  return chat;
}

let compiledBuild: { cli?: string; ms: number; error?: string } = { ms: 0 };

interface BenchApp {
  id: string;
  key: string;
  webhooks: number;
}
let mainApp: BenchApp | undefined;
const fanoutApps = new Map<number, BenchApp>();
let conditionsApp: BenchApp | undefined;

function chatTarget(chat: RunningChat, app: BenchApp, deliveriesPerEvent = app.webhooks): Target {
  return {
    name: 'chat-webhooks',
    url: `${chat.apiUrl}/v1/apps/${app.id}/events`,
    headers: { authorization: `Bearer ${app.key}` },
    deliveriesPerEvent,
  };
}

async function setUpChatApps(ctx: Ctx, chat: RunningChat, results: BenchResults): Promise<void> {
  const admin = ctx.chatBase.adminKey;
  const secrets: string[] = [ctx.common.secret];
  const makeApp = async (
    name: string,
    hooks: Array<{ url: string; events: string[]; conditions?: unknown[] }>,
  ): Promise<BenchApp> => {
    const app = await chatCall(chat.apiUrl, admin, 'POST', '/v1/apps', { name });
    for (const hook of hooks) {
      const created = await chatCall(chat.apiUrl, admin, 'POST', `/v1/apps/${app.id}/webhooks`, hook);
      secrets.push(created.secret);
    }
    return { id: app.id, key: app.api_key, webhooks: hooks.length };
  };
  const urls = ctx.receiver.urls;
  mainApp = await makeApp('Bench App', [{ url: urls[0]!, events: ['message_sent'] }]);
  fanoutApps.set(1, mainApp);
  for (const n of [10, 50]) {
    // One receiver port per webhook: distinct endpoints, as distinct customers' receivers are.
    fanoutApps.set(
      n,
      await makeApp(
        `Fan-out ${n}`,
        Array.from({ length: n }, (_, i) => ({ url: urls[i % urls.length]!, events: ['message_sent'] })),
      ),
    );
  }
  const conditions = (ids: string[]) =>
    ids.map((id) => ({ id, prompt: `When the user asks about ${id.replace('cond_', 'topic ')}` }));
  conditionsApp = await makeApp('Conditions', [
    { url: urls[0]!, events: ['message_sent', 'custom_condition'], conditions: conditions(['cond_a1', 'cond_a2']) },
    { url: urls[1]!, events: ['message_sent', 'custom_condition'], conditions: conditions(['cond_b1', 'cond_b2']) },
    { url: urls[2]!, events: ['message_sent', 'custom_condition'], conditions: conditions(['cond_c1']) },
  ]);
  ctx.receiver.setSecrets(secrets);
  results.meta.chatSetup = { apps: 2 + fanoutApps.size, webhooks: secrets.length - 1 };
}

async function runFanout(ctx: Ctx, chat: RunningChat, results: BenchResults, chatMax: number): Promise<void> {
  for (const n of [1, 10, 50]) {
    const app = fanoutApps.get(n)!;
    const opts = SIZES.fanout(n, chatMax);
    log(`fan-out ${n}: throughput search from ${opts.start} events/s`);
    const target = chatTarget(chat, app);
    const ramp = await findMax(
      (rate) => runStep(target, ctx.tracker, { rate, durationS: opts.stepS, drainS: opts.drainS }),
      opts,
      logStep(`fan-out ${n}`),
    );
    const best = ramp.steps.filter((s) => s.pass).sort((a, b) => b.rate - a.rate)[0];
    results.fanout.push({
      webhooks: n,
      maxEventsPerS: ramp.max,
      capped: ramp.capped,
      deliveriesPerS: best ? best.deliveriesPerS : 0,
      atMax: best,
      steps: ramp.steps,
    });
  }
}

async function runConditions(ctx: Ctx, chat: RunningChat, results: BenchResults): Promise<void> {
  const app = conditionsApp!;
  // The judge matches cond_a1 every time: once per conversation it fires, and later events in that conversation no
  // longer send it. Every other condition is judged "no".
  ctx.llm.setResponder((req) => ({
    verdicts: conditionIdsIn(req).map((id) => ({
      condition_id: id,
      matched: id === 'cond_a1',
      reason: id === 'cond_a1' ? 'Asked about it.' : 'Not mentioned.',
    })),
  }));
  const before = ctx.llm.requests.length;
  const { events, rate } = SIZES.conditions;
  log(`conditions: ${events} message_sent events, 5 conditions on 3 webhooks`);
  const step = await runStep(chatTarget(chat, app, 3), ctx.tracker, {
    rate,
    durationS: events / rate,
    drainS: 30,
    eventsPerConversation: 5,
    extraWaitMs: 1_500,
  });
  logStep('conditions')(step);
  const calls = ctx.llm.requests.slice(before);
  const conversations = Math.ceil(step.events / 5);
  results.conditions = {
    events: step.events,
    accepted: step.accepted,
    llmCalls: calls.length,
    callsPerEvent: calls.length / Math.max(1, step.accepted),
    conditionsPerCall: calls.reduce((n, c) => n + conditionIdsIn(c).length, 0) / Math.max(1, calls.length),
    conditionDeliveries: step.conditionDeliveries,
    expectedConditionDeliveries: conversations,
    step,
  };
}

/**
 * A fresh in-memory dev server for each Temporal measurement: a server that already holds thousands of finished
 * workflows from earlier runs is slower, which would favour whichever system ran first. --quick reuses the running one.
 */
let quickServer: TemporalServer | undefined;
async function withTemporal<T>(fn: (server: TemporalServer) => Promise<T>): Promise<T> {
  if (QUICK && quickServer) return fn(quickServer);
  const server = await startMainTemporal();
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

function chatBaseOn(ctx: Ctx, server: TemporalServer): ChatBase {
  return {
    ...ctx.chatBase,
    temporalAddress: server.address,
    engines: { temporal: () => server.pids(), postgres: () => ctx.db.pids() },
  };
}

/** A short ramp at fixed multiples of a known maximum: the highest multiple that holds, and p99 at 1.0×. */
async function miniRamp(
  ctx: Ctx,
  label: string,
  system: RunningSystem,
  target: Target,
  baseMax: number,
): Promise<ToggleResult> {
  const tracker = ctx.tracker;
  const steps: StepResult[] = [];
  let max = 0;
  const before = cpuNow(system, ctx.receiver.pid);
  for (const m of SIZES.toggleMultipliers) {
    const rate = Math.max(1, Math.round(baseMax * m));
    const step = await runStep(target, tracker, { rate, durationS: SIZES.toggleStepS, drainS: 30 });
    logStep(label)(step);
    steps.push(step);
    if (!step.pass) break;
    max = rate;
    await sleep(300);
  }
  const after = cpuNow(system, ctx.receiver.pid);
  const accepted = steps.reduce((n, s) => n + s.accepted, 0);
  const per = (seconds: number) => (seconds * 1000) / Math.max(1, accepted);
  const engines = Object.keys(after.engines).reduce(
    (sum, n) => sum + groupCpuDelta(before.engines[n]!, after.engines[n]!),
    0,
  );
  const cpuMsPerEvent = {
    api: per(after.api - before.api),
    worker: per(after.worker - before.worker),
    engines: per(engines),
    total: per(after.api - before.api + after.worker - before.worker + engines),
  };
  const atBase = steps.find((s) => Math.abs(s.rate - Math.max(1, Math.round(baseMax))) < 0.5);
  return { label, maxEventsPerS: max, allPassed: steps.every((s) => s.pass), atBase, steps, cpuMsPerEvent };
}

async function runOptimisations(ctx: Ctx, results: BenchResults, chatMax: number, bareMax: number): Promise<void> {
  const opt = results.optimisations;

  // Prebuilt workflow bundle against bundling at worker start: time until the worker polls.
  log('worker start time: prebuilt bundle vs bundling at start');
  await withTemporal(async (server) => {
    for (let i = 0; i < SIZES.startRepeats; i++) {
      for (const prebuilt of [true, false]) {
        const w = await startChat(chatBaseOn(ctx, server), { workerOnly: true, prebuilt });
        opt.workerStart.push({ prebuilt, ms: w.workerStartMs!, peakRssMb: readProc(w.worker!.pid)?.peakRssMb ?? 0 });
        log(
          `  worker ${prebuilt ? 'prebuilt bundle' : 'bundling at start'}: polling after ${round(w.workerStartMs!, 0)} ms`,
        );
        await w.stop();
      }
    }
  });

  // `histories`: also read the workflow histories of the step at the main run's maximum (where the first workflow
  // task waits for a worker, which eager start is meant to remove).
  const chatToggle = (label: string, options: ChatOptions, extra: { histories?: boolean } = {}) =>
    withTemporal(async (server) => {
      const chat = await startChat(chatBaseOn(ctx, server), options);
      try {
        await warmUp(ctx, chatTarget(chat, mainApp!));
        const startsBefore = await chat.startCounts?.();
        const result = await miniRamp(ctx, label, chat, chatTarget(chat, mainApp!), chatMax);
        const startsAfter = await chat.startCounts?.();
        if (startsBefore && startsAfter) {
          result.starts = {
            started: startsAfter.started - startsBefore.started,
            eagerlyStarted: startsAfter.eagerlyStarted - startsBefore.eagerlyStarted,
          };
        }
        const sampled = (result.atBase ?? result.steps[0])?.sampleIds;
        if (extra.histories && sampled?.length) {
          result.breakdown = await historyBreakdown(
            server.address,
            sampled.map((id) => `chat-event:${mainApp!.id}:${id}`),
          );
        }
        return result;
      } finally {
        await chat.stop();
      }
    });

  log('baseline for the comparisons below: the product as configured in the main run, restarted');
  opt.baseline = await chatToggle(
    'baseline (tsx, PG_POOL_MAX=10, WORKER_* unset, CONVERSATION_IDLE_TIMEOUT unset)',
    {},
    { histories: true },
  );

  if (compiledBuild.cli) {
    log('runtime: compiled JavaScript (as the Docker image runs) instead of tsx');
    opt.runtime.push({
      ...(await chatToggle('compiled build', { compiledCli: compiledBuild.cli })),
      value: 'compiled',
    });
  } else {
    results.notes.push(`The compiled-build comparison was skipped: ${compiledBuild.error}`);
  }

  // Only worth a run while zod is in the bundle: since src/domain/workflow-ids.ts the stub changes nothing.
  const bundleKb = results.meta.infra.bundleKb;
  if (
    ctx.zodFreeBundle &&
    bundleKb?.chatWebhooksWithoutZod !== undefined &&
    bundleKb.chatWebhooks - bundleKb.chatWebhooksWithoutZod > 1
  ) {
    log('workflow bundle without zod (stubbed): what workflows pay for zod in the bundle');
    opt.bundle.push({
      ...(await chatToggle('bundle without zod', { bundlePath: ctx.zodFreeBundle })),
      value: 'without zod',
    });
  } else if (ctx.zodFreeBundle) {
    log('workflow bundle without zod: not run, zod is not in the workflow bundle');
  }

  log(`pg pool size (PG_POOL_MAX, api and worker each), at ${SIZES.toggleMultipliers.join('/')} × ${chatMax}/s`);
  for (const size of SIZES.poolSizes)
    opt.poolSize.push({ ...(await chatToggle(`PG_POOL_MAX=${size}`, { poolMax: size })), value: size });

  log('worker sizing (WORKER_* variables of the real worker)');
  for (const name of SIZES.tunings)
    opt.tuning.push({ ...(await chatToggle(`tuning ${name}`, { env: TUNINGS[name] })), value: TUNINGS[name] });

  log('conversation idle timer off (CONVERSATION_IDLE_TIMEOUT=0): what tracking conversations costs at the default');
  (opt.idleTimeout ??= []).push({
    ...(await chatToggle('CONVERSATION_IDLE_TIMEOUT=0', { env: { CONVERSATION_IDLE_TIMEOUT: '0' } })),
    value: '0',
  });

  log('settings reads per event that a worker-side settings cache would replace');
  opt.settingsLookup = await measureSettingsLookups(ctx.db.url, QUICK ? 300 : 3_000, () => ctx.db.pids());

  log("API and worker in one process on the worker's NativeConnection: eager workflow start off, then on");
  for (const eager of [false, true]) {
    const label = `one process, eager start ${eager ? 'on' : 'off'}`;
    (opt.singleProcess ??= []).push({
      ...(await chatToggle(label, { singleProcess: { eager } }, { histories: true })),
      value: { eager },
    });
  }

  log(`dev server SQLite pragmas, with bare-temporal at ${SIZES.toggleMultipliers.join('/')} × ${bareMax}/s`);
  for (const label of SIZES.pragmas) {
    const pragmas = PRAGMAS[label]!;
    const server =
      pragmas === 'startDevServer'
        ? await startMainTemporal()
        : await startPragmaTemporal(
            label,
            path.join(ctx.tmp, `temporal-${crypto.randomBytes(3).toString('hex')}.db`),
            pragmas,
          );
    try {
      const system = await startBareTemporal(ctx.common, server, { bundlePath: ctx.bareBundle });
      try {
        await warmUp(ctx, system.target);
        opt.pragmas.push({
          ...(await miniRamp(ctx, `sqlite ${label}`, system, system.target, bareMax)),
          value: pragmas === 'startDevServer' ? ['journal_mode=WAL', 'synchronous=OFF'] : pragmas,
        });
      } finally {
        await system.stop();
      }
    } finally {
      await server.stop();
    }
  }
}

async function runProfile(ctx: Ctx, results: BenchResults, chatMax: number): Promise<void> {
  const dir = path.join(ctx.tmp, 'cpu-prof');
  // Near the maximum, where what limits throughput shows most; the window leaves out start-up and warm-up.
  const rate = Math.max(1, Math.round(chatMax * (QUICK ? 0.5 : 0.8)));
  log(`profile: chat-webhooks api and worker under node --cpu-prof, ${SIZES.profileS} s at ${rate}/s`);
  const { step, window } = await withTemporal(async (server) => {
    const chat = await startChat(chatBaseOn(ctx, server), { cpuProfDir: dir });
    try {
      await warmUp(ctx, chatTarget(chat, mainApp!));
      const fromMs = nowMs();
      const measured = await runStep(chatTarget(chat, mainApp!), ctx.tracker, {
        rate,
        durationS: SIZES.profileS,
        drainS: 30,
      });
      logStep('profile')(measured);
      return { step: measured, window: { fromMs, toMs: nowMs() } };
    } finally {
      // SIGTERM: both processes exit through process.exit, which writes the profiles.
      await chat.stop();
    }
  });
  results.profile = {
    rate,
    durationS: SIZES.profileS,
    events: step.accepted,
    api: summariseProfiles(path.join(dir, 'api'), window),
    worker: summariseProfiles(path.join(dir, 'worker'), window),
  };
}

async function main(): Promise<void> {
  const sha = gitSha();
  const date = new Date().toISOString().slice(0, 10);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-bench-'));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  log(`${QUICK ? 'quick' : 'full'} run; results to ${OUT_DIR}`);
  const busyBefore = await machineBusy(1_000);
  if (busyBefore > 0.2)
    log(
      `warning: the machine is already ${Math.round(busyBefore * 100)}% busy; figures will be lower than on a quiet machine`,
    );

  const results: BenchResults = {
    meta: {
      date,
      sha,
      dirty: gitDirty(),
      command: `npm run bench${
        process.argv.length > 2
          ? ` -- ${process.argv
              .slice(2)
              .filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out')
              .join(' ')}`
          : ''
      }`.replace(/ -- $/, ''),
      quick: QUICK,
      machine: machine(),
      limits: { ...LIMITS },
      infra: {},
      startedAt: new Date().toISOString(),
      busyBeforeStart: busyBefore,
      loadAverage: { start: os.loadavg()[0]!, end: 0 },
      durationS: 0,
      chatSetup: { apps: 0, webhooks: 0 },
    },
    systems: [],
    fanout: [],
    optimisations: {
      workerStart: [],
      runtime: [],
      bundle: [],
      poolSize: [],
      tuning: [],
      idleTimeout: [],
      singleProcess: [],
      pragmas: [],
    },
    notes: [],
  };

  log('starting Temporal dev server, Postgres, Redis, receiver, fake LLM; bundling workflows');
  const chatBundle = path.join(tmp, 'chat-webhooks-workflow-bundle.js');
  const bareBundle = path.join(tmp, 'bare-workflow-bundle.js');
  const zodFreeBundle = path.join(tmp, 'chat-webhooks-workflow-bundle-without-zod.js');
  // What only the optimisation comparisons need: the compiled build and the bundle without zod. A full run waits for
  // them before measuring (they would take CPU from the measurements); --quick lets them build meanwhile.
  const extras = Promise.all([
    compileBuild(),
    writeBundle(WORKFLOWS_PATH, zodFreeBundle, { stubZod: true }).then(
      () => true,
      (error: Error) => {
        log(`the bundle without zod could not be built: ${error.message}`);
        return false;
      },
    ),
  ]);
  const [temporal, db, redis, receiver, llm, chatBundleMs, bareBundleMs] = await Promise.all([
    startMainTemporal(),
    startDatabase(),
    startRedis(log),
    startReceiverProcess(50),
    startFakeLlm(),
    writeBundle(WORKFLOWS_PATH, chatBundle),
    writeBundle(BARE_WORKFLOWS_PATH, bareBundle),
  ]);
  if (!QUICK) await extras;
  cleanups.push(async () => {
    await extras;
    fs.rmSync(COMPILED_RUN_DIR, { recursive: true, force: true });
    try {
      fs.rmdirSync(path.dirname(COMPILED_RUN_DIR));
    } catch {
      // Another run still uses the shared parent.
    }
  });
  cleanups.push(
    () => temporal.stop(),
    () => db.stop(),
    () => receiver.stop(),
    () => llm.close(),
  );
  if (redis.available) cleanups.push(() => redis.stop());
  cleanups.push(closePools, closeConnections);
  results.meta.infra = {
    temporal: `${await temporalCliVersion()}, dev server ${temporal.label}`,
    postgres: db.kind,
    redis: redis.available
      ? `${redis.version}${redis.started ? ' (started by the bench)' : ''}`
      : `unavailable: ${redis.reason}`,
    bundleMs: { chatWebhooks: chatBundleMs, bareTemporal: bareBundleMs },
    bundleKb: {
      chatWebhooks: fs.statSync(chatBundle).size / 1024,
      bareTemporal: fs.statSync(bareBundle).size / 1024,
    },
  };
  log(`infra up: ${results.meta.infra.postgres}; redis ${results.meta.infra.redis}`);

  // Migrations (and search attributes) through the product's own command.
  const adminKey = `cwk_admin_bench_${crypto.randomBytes(12).toString('hex')}`;
  const secretsKey = generateSecretsKey();
  execFileSync(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'chat-webhooks.js'), 'migrate'], {
    cwd: PACKAGE_ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: temporal.address,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  const tracker = new Tracker();
  receiver.onReceipts((items) => tracker.receive(items));
  const ctx: Ctx = {
    tracker,
    receiver,
    temporal,
    db,
    redis,
    llm,
    tmp,
    bareBundle,
    common: { receiverUrl: receiver.urls[0]!, secret: `whsec_${crypto.randomBytes(32).toString('base64')}` },
    chatBase: {
      databaseUrl: db.url,
      temporalAddress: temporal.address,
      adminKey,
      secretsKey,
      llmBaseUrl: llm.baseUrl,
      bundlePath: chatBundle,
      engines: { temporal: () => temporal.pids(), postgres: () => db.pids() },
    },
  };
  receiver.setSecrets([ctx.common.secret]);

  const chat = await runSystems(ctx, results);
  const chatMax = Math.max(1, results.systems.find((s) => s.name === 'chat-webhooks')?.max ?? 0);
  const bareMax = Math.max(1, results.systems.find((s) => s.name === 'bare-temporal')?.max ?? 0);
  if (chat && EXTRAS) {
    await runFanout(ctx, chat, results, chatMax);
    await runConditions(ctx, chat, results);
    await chat.stop();
    const [compiled, zodFreeOk] = await extras;
    compiledBuild = compiled;
    if (zodFreeOk) {
      ctx.zodFreeBundle = zodFreeBundle;
      results.meta.infra.bundleKb!.chatWebhooksWithoutZod = fs.statSync(zodFreeBundle).size / 1024;
    }
    await runOptimisations(ctx, results, chatMax, bareMax);
    await runProfile(ctx, results, chatMax);
  } else {
    await chat?.stop();
    results.notes.push(
      'Fan-out, conditions, optimisations and the profile were not run (--only without chat-webhooks, or --systems-only).',
    );
  }

  const stats = await receiver.stats();
  results.receiver = stats;
  if (stats.invalid > 0) results.notes.push(`${stats.invalid} sampled deliveries had a signature that did not verify`);
  results.meta.durationS = (nowMs() - started) / 1000;
  results.meta.loadAverage.end = os.loadavg()[0]!;
  const files = await writeReport(results, OUT_DIR, `${date}-${sha}`);
  log(`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
}

async function render(file: string): Promise<void> {
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
  const written = await writeReport(results, path.dirname(path.resolve(file)), path.basename(file, '.json'));
  log(`wrote ${written.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
}

process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

(args.render ? render(args.render) : main()).then(cleanup).then(
  () => process.exit(0),
  async (error) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
    await cleanup();
    process.exit(1);
  },
);
