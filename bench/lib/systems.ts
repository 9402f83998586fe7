/**
 * Starting and stopping the five systems under test. Each runs as separate processes (ingest API, worker), so that
 * the load generator, the receiver and each system's own CPU and memory can be told apart.
 */
import crypto from 'node:crypto';
import path from 'node:path';

import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

import { freePort, nowMs, sleep } from './common';
import type { Target } from './load';
import { BENCH_DIR, type Child, PACKAGE_ROOT, startNode } from './procs';

export interface RunningSystem {
  name: string;
  target: Target;
  api: Child;
  /** Undefined for `direct`, which delivers in its API process. */
  worker?: Child;
  /** Processes of what the system stands on, by name (Temporal dev server, Redis, Postgres backends). */
  engines: Record<string, () => number[]>;
  /** From spawn until the worker polls (Temporal) or says it is ready. */
  workerStartMs?: number;
  apiStartMs: number;
  stop(): Promise<void>;
}

const baseEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME });

const connections = new Map<string, Promise<Connection>>();
function connectionTo(address: string): Promise<Connection> {
  let c = connections.get(address);
  if (!c) {
    c = Connection.connect({ address });
    connections.set(address, c);
  }
  return c;
}

export async function closeConnections(): Promise<void> {
  for (const c of connections.values()) await (await c).close().catch(() => undefined);
  connections.clear();
}

export async function temporalConnection(address: string): Promise<Connection> {
  return connectionTo(address);
}

/** Resolves once a worker polls the task queue for workflow tasks. */
export async function waitForPoller(
  address: string,
  taskQueue: string,
  child: Child,
  timeoutMs = 90_000,
): Promise<void> {
  const connection = await connectionTo(address);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null) throw new Error(`${child.name} exited:\n${child.output().slice(-4000)}`);
    const res = await connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    if ((res.pollers?.length ?? 0) > 0) return;
    await sleep(50);
  }
  throw new Error(`${child.name}: no poller on ${taskQueue} within ${timeoutMs} ms:\n${child.output().slice(-4000)}`);
}

async function waitForHttp(url: string, child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null) throw new Error(`${child.name} exited:\n${child.output().slice(-4000)}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${child.name}: ${url} not answering within ${timeoutMs} ms:\n${child.output().slice(-4000)}`);
}

async function stopAll(...children: Array<Child | undefined>): Promise<void> {
  await Promise.all(children.filter((c): c is Child => Boolean(c)).map((c) => c.stop()));
}

export interface Common {
  receiverUrl: string;
  /** The signing secret the comparison systems use (chat-webhooks makes its own per webhook). */
  secret: string;
}

export async function startDirect(common: Common): Promise<RunningSystem> {
  const t0 = nowMs();
  const api = startNode('direct', path.join(BENCH_DIR, 'systems/direct.ts'), {
    env: { ...baseEnv(), RECEIVER_URL: common.receiverUrl, WEBHOOK_SECRET: common.secret },
  });
  const { port } = (await api.ready()) as { port: number };
  return {
    name: 'direct',
    target: { name: 'direct', url: `http://127.0.0.1:${port}/events`, headers: {}, deliveriesPerEvent: 1 },
    api,
    engines: {},
    apiStartMs: nowMs() - t0,
    stop: () => stopAll(api),
  };
}

export async function startBullmq(common: Common, redis: { url: string; pids(): number[] }): Promise<RunningSystem> {
  const env = {
    ...baseEnv(),
    REDIS_URL: redis.url,
    QUEUE_NAME: `bench-${crypto.randomBytes(4).toString('hex')}`,
    RECEIVER_URL: common.receiverUrl,
    WEBHOOK_SECRET: common.secret,
  };
  const t0 = nowMs();
  const worker = startNode('bullmq-worker', path.join(BENCH_DIR, 'systems/bullmq-worker.ts'), { env });
  const api = startNode('bullmq-api', path.join(BENCH_DIR, 'systems/bullmq-api.ts'), { env });
  const [{ port }] = (await Promise.all([api.ready(), worker.ready()])) as [{ port: number }, unknown];
  return {
    name: 'bullmq',
    target: { name: 'bullmq', url: `http://127.0.0.1:${port}/events`, headers: {}, deliveriesPerEvent: 1 },
    api,
    worker,
    engines: { redis: () => redis.pids() },
    apiStartMs: nowMs() - t0,
    workerStartMs: nowMs() - t0,
    stop: () => stopAll(api, worker),
  };
}

/** `bare-temporal`, or with `floor` the same processes running `temporal-floor`'s one-task workflow. */
export async function startBareTemporal(
  common: Common,
  server: { address: string; pids(): number[] },
  opts: { bundlePath?: string; floor?: boolean } = {},
): Promise<RunningSystem> {
  const name = opts.floor ? 'temporal-floor' : 'bare-temporal';
  const taskQueue = `${opts.floor ? 'floor' : 'bare'}-${crypto.randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    WORKFLOW_TYPE: opts.floor ? 'floorDeliveryWorkflow' : 'bareDeliveryWorkflow',
    TEMPORAL_ADDRESS: server.address,
    TASK_QUEUE: taskQueue,
    RECEIVER_URL: common.receiverUrl,
    WEBHOOK_SECRET: common.secret,
    ...(opts.bundlePath ? { WORKFLOW_BUNDLE_PATH: opts.bundlePath } : {}),
  };
  const t0 = nowMs();
  const worker = startNode(`${name}-worker`, path.join(BENCH_DIR, 'systems/bare-temporal-worker.ts'), { env });
  const api = startNode(`${name}-api`, path.join(BENCH_DIR, 'systems/bare-temporal-api.ts'), { env });
  const workerReady = waitForPoller(server.address, taskQueue, worker).then(() => nowMs() - t0);
  const [{ port }, workerStartMs] = (await Promise.all([api.ready(), workerReady])) as [{ port: number }, number];
  return {
    name,
    target: { name, url: `http://127.0.0.1:${port}/events`, headers: {}, deliveriesPerEvent: 1 },
    api,
    worker,
    engines: { temporal: () => server.pids() },
    apiStartMs: nowMs() - t0,
    workerStartMs,
    stop: () => stopAll(api, worker),
  };
}

export interface ChatBase {
  databaseUrl: string;
  temporalAddress: string;
  adminKey: string;
  secretsKey: string;
  /** TEMPORAL_PAYLOAD_KEYS of every chat-webhooks process of a run. */
  payloadKeys: string;
  llmBaseUrl: string;
  /** Prebuilt workflow bundle; undefined bundles at worker start. */
  bundlePath?: string;
  engines: Record<string, () => number[]>;
}

export interface ChatOptions {
  poolMax?: number;
  /** More environment for the processes (WORKER_* sizing, CONVERSATION_IDLE_TIMEOUT), as an operator would set it. */
  env?: Record<string, string>;
  /** Write V8 CPU profiles of both processes into this folder (api/, worker/). */
  cpuProfDir?: string;
  /** Override the prebuilt bundle: false bundles at worker start. */
  prebuilt?: boolean;
  apiOnly?: boolean;
  workerOnly?: boolean;
  /** Use this workflow bundle instead of the base one. */
  bundlePath?: string;
  /** Run this compiled cli.js instead of bin/chat-webhooks.js (which runs the TypeScript sources through tsx). */
  compiledCli?: string;
  /**
   * API and worker in one process sharing the worker's NativeConnection (bench/systems/chat-webhooks-single-process.ts),
   * asking for eager workflow start or not.
   */
  singleProcess?: { eager: boolean };
}

export interface RunningChat extends RunningSystem {
  apiUrl: string;
  taskQueue: string;
  /** Single process only: chat-event workflows its API started, and how many of them the server started eagerly. */
  startCounts?: () => Promise<{ started: number; eagerlyStarted: number }>;
}

/** The production environment, as test/integration/production-processes.test.ts gives the api and worker. */
export function chatEnv(base: ChatBase, taskQueue: string, port: number, opts: ChatOptions): NodeJS.ProcessEnv {
  const prebuilt = opts.prebuilt ?? true;
  return {
    ...baseEnv(),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: base.databaseUrl,
    PG_POOL_MAX: String(opts.poolMax ?? 10),
    TEMPORAL_ADDRESS: base.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ADMIN_API_KEY: base.adminKey,
    SECRETS_KEY: base.secretsKey,
    TEMPORAL_PAYLOAD_KEYS: base.payloadKeys,
    PORT: String(port),
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    ALLOW_HTTP_WEBHOOKS: 'true',
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    // CONVERSATION_IDLE_TIMEOUT and the WORKER_* sizing stay unset unless a variant sets them: the defaults users run.
    OPENAI_BASE_URL: base.llmBaseUrl,
    OPENAI_API_KEY: 'bench-key',
    OPENAI_MODEL: 'bench-model',
    ...(prebuilt && base.bundlePath ? { WORKFLOW_BUNDLE_PATH: base.bundlePath } : {}),
    ...opts.env,
  };
}

const CLI = path.join(PACKAGE_ROOT, 'bin', 'chat-webhooks.js');

/** `chat-webhooks api` and `chat-webhooks worker` as separate processes (or both in one, with `singleProcess`). */
export async function startChat(base: ChatBase, opts: ChatOptions = {}): Promise<RunningChat> {
  const port = await freePort();
  const taskQueue = `chat-${crypto.randomBytes(4).toString('hex')}`;
  const env = chatEnv(opts.bundlePath ? { ...base, bundlePath: opts.bundlePath } : base, taskQueue, port, opts);
  const apiUrl = `http://127.0.0.1:${port}`;
  if (opts.singleProcess) return startSingleProcess(base, env, apiUrl, taskQueue, opts.singleProcess.eager);
  const prof = (role: string) =>
    opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(opts.cpuProfDir, role)] : [];
  const t0 = nowMs();
  const worker = opts.apiOnly
    ? undefined
    : startNode('chat-webhooks-worker', opts.compiledCli ?? CLI, { args: ['worker'], env, nodeArgs: prof('worker') });
  const api = opts.workerOnly
    ? undefined
    : startNode('chat-webhooks-api', opts.compiledCli ?? CLI, { args: ['api'], env, nodeArgs: prof('api') });
  const [apiStartMs, workerStartMs] = await Promise.all([
    api ? waitForHttp(`${apiUrl}/healthz`, api).then(() => nowMs() - t0) : 0,
    worker ? waitForPoller(base.temporalAddress, taskQueue, worker).then(() => nowMs() - t0) : undefined,
  ]);
  return {
    name: 'chat-webhooks',
    target: { name: 'chat-webhooks', url: `${apiUrl}/v1/apps/APP/events`, headers: {}, deliveriesPerEvent: 1 },
    api: api!,
    worker,
    apiUrl,
    taskQueue,
    engines: base.engines,
    apiStartMs,
    workerStartMs,
    stop: () => stopAll(api, worker),
  };
}

/** The one process is `api` here; `worker` stays undefined, so its CPU is all counted as the API's. */
async function startSingleProcess(
  base: ChatBase,
  env: NodeJS.ProcessEnv,
  apiUrl: string,
  taskQueue: string,
  eager: boolean,
): Promise<RunningChat> {
  const t0 = nowMs();
  const child = startNode(
    'chat-webhooks-single-process',
    path.join(BENCH_DIR, 'systems/chat-webhooks-single-process.ts'),
    {
      env: { ...env, BENCH_EAGER_START: eager ? '1' : '0' },
    },
  );
  const { statsPort } = (await child.ready(90_000)) as { statsPort: number };
  await waitForPoller(base.temporalAddress, taskQueue, child);
  const startMs = nowMs() - t0;
  return {
    name: 'chat-webhooks',
    target: { name: 'chat-webhooks', url: `${apiUrl}/v1/apps/APP/events`, headers: {}, deliveriesPerEvent: 1 },
    api: child,
    apiUrl,
    taskQueue,
    engines: base.engines,
    apiStartMs: startMs,
    workerStartMs: startMs,
    startCounts: async () =>
      (await fetch(`http://127.0.0.1:${statsPort}/`)).json() as Promise<{ started: number; eagerlyStarted: number }>,
    stop: () => stopAll(child),
  };
}
