/**
 * What every scenario runs against: the infrastructure the benchmark starts once (Temporal, Postgres, Redis, the
 * receiver, the fake LLM, the workflow bundles), the chat-webhooks apps the systems scenario creates, and the helpers
 * that give a scenario a fresh dev server or a warmed-up target.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { generateSecretsKey } from '../../src/security/secret-box';
import { generatePayloadKeys } from '../../src/temporal/codec';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';
import { type FakeLlm, startFakeLlm } from '../../support/fake-llm';
import type { BenchResults } from '../report/results';
import { BARE_WORKFLOWS_PATH } from '../systems/bare-temporal-worker';
import { compileBuild, type CompiledBuild, compiledBuildDir, removeCompiledBuild, writeBundle } from './build';
import {
  type Database,
  type ReceiverHandle,
  type Redis,
  startDatabase,
  startMainTemporal,
  startReceiverProcess,
  startRedis,
  temporalCliVersion,
  type TemporalServer,
} from './infra';
import { closePools, runStep, type Target, Tracker } from './load';
import { log } from './log';
import { PACKAGE_ROOT } from './procs';
import type { Sizes } from './sizes';
import { type ChatBase, closeConnections, type Common, type RunningChat } from './systems';

/** A chat-webhooks app the systems scenario created, with its API key and how many webhooks it has. */
export interface BenchApp {
  id: string;
  key: string;
  webhooks: number;
}

export interface Ctx {
  quick: boolean;
  sizes: Sizes;
  tmp: string;
  /** Runs `fn` at the end of the benchmark, however it ends. */
  defer(fn: () => Promise<void>): void;
  tracker: Tracker;
  receiver: ReceiverHandle;
  /** The dev server of the main measurements; the systems scenario gives chat-webhooks one of its own. */
  temporal: TemporalServer;
  db: Database;
  redis: Redis;
  llm: FakeLlm;
  common: Common;
  chatBase: ChatBase;
  bareBundle: string;
  /** chat-webhooks' workflows bundled with zod stubbed out (bench/workflows/zod-stub.ts); undefined if that failed. */
  zodFreeBundle?: string;
  compiledBuild: CompiledBuild;
  /** What only the optimisation scenarios need; see `awaitOptimisationBuilds`. */
  optimisationBuilds: Promise<{ compiled: CompiledBuild; zodFreeBundle?: string }>;
  /** Created by the systems scenario once chat-webhooks runs. */
  apps: { main?: BenchApp; fanout: Map<number, BenchApp>; conditions?: BenchApp; burst?: BenchApp };
  /** Every signing secret the receiver checks against (a scenario that makes webhooks adds to it). */
  receiverSecrets?: string[];
  /** --quick: the dev server every Temporal measurement shares (see withTemporal). */
  quickServer?: TemporalServer;
}

/** Starts the infrastructure and records what it is in `results.meta.infra`. */
export async function startContext(
  opts: { quick: boolean; sizes: Sizes; tmp: string; defer(fn: () => Promise<void>): void },
  results: BenchResults,
): Promise<Ctx> {
  const { tmp, defer } = opts;
  log('starting Temporal dev server, Postgres, Redis, receiver, fake LLM; bundling workflows');
  const chatBundle = path.join(tmp, 'chat-webhooks-workflow-bundle.js');
  const bareBundle = path.join(tmp, 'bare-workflow-bundle.js');
  const zodFreeBundle = path.join(tmp, 'chat-webhooks-workflow-bundle-without-zod.js');
  const compiledDir = compiledBuildDir();
  // A full run waits for these before measuring (they would take CPU from the measurements); --quick lets them
  // build meanwhile.
  const optimisationBuilds = Promise.all([
    compileBuild(compiledDir),
    writeBundle(WORKFLOWS_PATH, zodFreeBundle, { stubZod: true }).then(
      () => zodFreeBundle,
      (error: Error) => {
        log(`the bundle without zod could not be built: ${error.message}`);
        return undefined;
      },
    ),
  ]).then(([compiled, zodFree]) => ({ compiled, zodFreeBundle: zodFree }));
  const [temporal, db, redis, receiver, llm, chatBundleMs, bareBundleMs] = await Promise.all([
    startMainTemporal(),
    startDatabase(),
    startRedis(log),
    startReceiverProcess(50),
    startFakeLlm(),
    writeBundle(WORKFLOWS_PATH, chatBundle),
    writeBundle(BARE_WORKFLOWS_PATH, bareBundle),
  ]);
  if (!opts.quick) await optimisationBuilds;
  defer(async () => {
    await optimisationBuilds;
    removeCompiledBuild(compiledDir);
  });
  defer(() => temporal.stop());
  defer(() => db.stop());
  defer(() => receiver.stop());
  defer(() => llm.close());
  if (redis.available) defer(() => redis.stop());
  defer(closePools);
  defer(closeConnections);
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
  const common = { receiverUrl: receiver.urls[0]!, secret: `whsec_${crypto.randomBytes(32).toString('base64')}` };
  receiver.setSecrets([common.secret]);
  return {
    ...opts,
    tracker,
    receiver,
    temporal,
    db,
    redis,
    llm,
    common,
    chatBase: {
      databaseUrl: db.url,
      temporalAddress: temporal.address,
      adminKey: `cwk_admin_bench_${crypto.randomBytes(12).toString('hex')}`,
      secretsKey: generateSecretsKey(),
      payloadKeys: generatePayloadKeys(),
      llmBaseUrl: llm.baseUrl,
      bundlePath: chatBundle,
      engines: { temporal: () => temporal.pids(), postgres: () => db.pids() },
    },
    bareBundle,
    compiledBuild: { ms: 0 },
    optimisationBuilds,
    apps: { fanout: new Map() },
  };
}

/** The compiled build and the bundle without zod, once built; the bundle's size goes into the results. */
export async function awaitOptimisationBuilds(ctx: Ctx, results: BenchResults): Promise<void> {
  const { compiled, zodFreeBundle } = await ctx.optimisationBuilds;
  ctx.compiledBuild = compiled;
  if (zodFreeBundle) {
    ctx.zodFreeBundle = zodFreeBundle;
    results.meta.infra.bundleKb!.chatWebhooksWithoutZod = fs.statSync(zodFreeBundle).size / 1024;
  }
}

/**
 * A fresh in-memory dev server for each Temporal measurement: a server that already holds thousands of finished
 * workflows from earlier measurements is slower, which would favour whichever system ran first. --quick reuses the
 * running one.
 */
export async function withTemporal<T>(
  ctx: Ctx,
  fn: (server: TemporalServer) => Promise<T>,
  opts: { fairness?: boolean } = {},
): Promise<T> {
  if (ctx.quick && ctx.quickServer && opts.fairness !== false) return fn(ctx.quickServer);
  const server = await startMainTemporal(opts);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/** chat-webhooks' settings pointed at `server`, its CPU counted as the Temporal engine's. */
export function chatBaseOn(ctx: Ctx, server: TemporalServer): ChatBase {
  return {
    ...ctx.chatBase,
    temporalAddress: server.address,
    engines: { temporal: () => server.pids(), postgres: () => ctx.db.pids() },
  };
}

export function chatTarget(chat: RunningChat, app: BenchApp, deliveriesPerEvent = app.webhooks): Target {
  return {
    name: 'chat-webhooks',
    url: `${chat.apiUrl}/v1/apps/${app.id}/events`,
    headers: { authorization: `Bearer ${app.key}` },
    deliveriesPerEvent,
  };
}

/** The app every single-webhook chat-webhooks measurement posts to; the systems scenario creates it. */
export function mainApp(ctx: Ctx): BenchApp {
  if (!ctx.apps.main) throw new Error('chat-webhooks has not been set up: the systems scenario creates its apps');
  return ctx.apps.main;
}

/**
 * Fresh processes are slow at first (JIT, connection pools, Temporal's sticky caches): a short unmeasured run first.
 */
export async function warmUp(ctx: Ctx, target: Target): Promise<void> {
  await runStep(target, ctx.tracker, { rate: ctx.sizes.warmUp.rate, durationS: ctx.sizes.warmUp.s, drainS: 10 });
}
