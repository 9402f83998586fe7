/**
 * The two stacks a chaos run can run on, behind one shape: the addresses the run uses, how each fault is done, and
 * the processes whose logs and exits it checks.
 * - dev (the default): the CLI's dev server (SQLite) restarted on the same file and port, a fresh database on
 *   DATABASE_URL's server (or PGlite), one `api` and one `worker` process.
 * - production: `npm run stack`'s topology (support/production-stack.ts): its own Postgres cluster holding Temporal's
 *   databases and ours, the Temporal server on it, two `api` and two `worker` processes from the production build.
 */
import crypto from 'node:crypto';
import path from 'node:path';

import { bundleWorkflowCode } from '@temporalio/worker';

import { migrate } from '../../src/db/migrate';
import { createPool, type Db } from '../../src/db/pool';
// Ports below the ephemeral range: the API gets its port back when it restarts, even while other tests run.
import { freePortForChild } from '../../src/net/free-port';
import { generateSecretsKey } from '../../src/security/secret-box';
import { generatePayloadKeys } from '../../src/temporal/codec';
import { findTemporalCli, TEMPORAL_CLI_INSTALL_HELP } from '../../src/temporal/dev-server';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';
import { startProductionStack } from '../../support/production-stack';
import { type Cleanup, log, RUN_START, sleep, waitUntil } from './common';
import { type FaultTargets, RESTART_PAUSE_MS } from './faults';
import { DELIVERY_TIMEOUT_MS, type Options, RETRY_SCHEDULE } from './options';
import type { RunRecord, UnexpectedExit } from './report';
import { createDatabase, restartClusterPostgres, Service, startTemporal, stopTemporal } from './stack';

export interface ChaosStack {
  stack: RunRecord['stack'];
  temporalAddress: string;
  apiUrls: string[];
  adminKey: string;
  /** What the api and worker processes got, secrets included (for the log-leak check). */
  env: Record<string, string | undefined>;
  /** Our own pool on chat-webhooks' database. */
  pool: Db;
  faults: Omit<FaultTargets, 'opts' | 'cleanup' | 'sent'>;
  services: Array<{ name: string; logFile: string; outputTail(): string }>;
  unexpectedExits(): UnexpectedExit[];
}

/** The service settings of every chaos run: short timeouts and a long schedule of 1 s retries (see options.ts). */
function chaosSettings(): Record<string, string> {
  return {
    LOG_LEVEL: 'info',
    ALLOW_HTTP_WEBHOOKS: 'true',
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS),
    RETRY_SCHEDULE,
    CONVERSATION_IDLE_TIMEOUT: '0',
    SHUTDOWN_GRACE: '5s',
    // The worker's own /metrics is not needed here, and its default port may be taken on a developer's machine.
    METRICS_PORT: '0',
  };
}

export async function setUpDevStack(opts: Options, cleanup: Cleanup, tmp: string): Promise<ChaosStack> {
  // The SDK's downloaded server cannot be restarted, so the launcher's fallback to it is no use here.
  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  if (!cli)
    throw new Error(`${TEMPORAL_CLI_INSTALL_HELP}\n(the chaos run needs the CLI itself: it restarts the server)`);

  // Database, Temporal and the workflow bundle at once.
  const serverUrl = process.env.DATABASE_URL || undefined;
  const [db, temporal, bundlePath] = await Promise.all([
    (async () => {
      const created = await createDatabase(serverUrl);
      cleanup.add('database', async () => {
        await created.stop();
        log(created.kind === 'postgres' ? 'chaos database dropped' : 'PGlite stopped');
      });
      await migrate(created.url);
      return created;
    })(),
    (async () => {
      const server = await startTemporal(cli, tmp);
      cleanup.add('Temporal dev server', () => stopTemporal(server));
      return server;
    })(),
    (async () => {
      const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
      const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent as never });
      const file = path.join(tmp, 'workflow-bundle.js');
      const fs = await import('node:fs');
      fs.writeFileSync(file, bundle.code);
      return file;
    })(),
  ]);
  log(`database ready (${db.kind}), Temporal dev server on ${temporal.address}, workflows bundled`);
  const pool: Db = createPool(db.url, 3);
  cleanup.add('pool', () => pool.end());

  const adminKey = `cwk_admin_chaos_${crypto.randomBytes(16).toString('hex')}`;
  const apiPort = await freePortForChild();
  const taskQueue = `chaos-${crypto.randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ADMIN_API_KEY: adminKey,
    SECRETS_KEY: generateSecretsKey(),
    TEMPORAL_PAYLOAD_KEYS: generatePayloadKeys(),
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    WORKFLOW_BUNDLE_PATH: bundlePath,
    ...chaosSettings(),
  };
  const api = new Service('api', env, path.join(tmp, 'api.log'), cleanup);
  const worker = new Service('worker', env, path.join(tmp, 'worker.log'), cleanup);
  cleanup.add('api and worker', async () => {
    await Promise.all([api.stop(), worker.stop()]);
  });
  await Promise.all([api.start(), worker.start()]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  log(`api on ${apiUrl} and worker on task queue ${taskQueue} are running`);

  return {
    stack: {
      kind: 'dev',
      database: db.kind,
      description: `Temporal dev server (SQLite); ${
        db.kind === 'postgres' ? 'real Postgres (fresh database on DATABASE_URL)' : 'embedded PGlite'
      }; 1 api, 1 worker`,
    },
    temporalAddress: temporal.address,
    apiUrls: [apiUrl],
    adminKey,
    env,
    pool,
    faults: {
      async killWorker() {
        const pid = worker.pid;
        await worker.kill();
        await sleep(RESTART_PAUSE_MS);
        await worker.start();
        return `SIGKILL pid ${pid}, restarted after ${RESTART_PAUSE_MS / 1000}s pause`;
      },
      async restartTemporal() {
        await stopTemporal(temporal);
        await sleep(RESTART_PAUSE_MS);
        await temporal.restart();
        return 'SIGTERM, restarted on the same SQLite file and port';
      },
      restartPostgres: () => restartClusterPostgres(db, opts, pool),
    },
    services: [api, worker],
    unexpectedExits: () => [
      ...api.unexpectedExits.map((e) => ({ process: 'api', ...e })),
      ...worker.unexpectedExits.map((e) => ({ process: 'worker', ...e })),
      // The launcher stamps a Date; the report counts ms since the run started, like everything else.
      ...temporal.unexpectedExits.map((e) => ({ process: 'temporal', ...e, at: e.at.getTime() - RUN_START, tail: '' })),
    ],
  };
}

/** How long the killed api stays down while the other takes every request. */
const API_DOWN_MS = 10_000;

export async function setUpProductionStack(opts: Options, cleanup: Cleanup, tmp: string): Promise<ChaosStack> {
  const stack = await startProductionStack({
    workDir: path.join(tmp, 'stack'),
    apis: 2,
    workers: 2,
    ui: false,
    env: chaosSettings(),
    log: (line) => log(`stack: ${line}`),
  });
  cleanup.add('production stack', () => stack.stop());
  const pool: Db = createPool(stack.databaseUrl, 3);
  cleanup.add('pool', () => pool.end());
  const { postgres, temporal, apis, workers } = stack.processes;
  log(
    `production stack: Temporal ${stack.temporalAddress}, apis ${stack.apiUrls.join(' ')}, ${workers.length} workers`,
  );
  return {
    stack: {
      kind: 'production',
      database: 'postgres',
      description: `production stack (npm run stack): its own Postgres holding Temporal's and our data, Temporal server on it, ${apis.length} api, ${workers.length} worker processes`,
    },
    temporalAddress: stack.temporalAddress,
    apiUrls: stack.apiUrls,
    adminKey: stack.adminApiKey,
    env: stack.env,
    pool,
    faults: {
      async killWorker() {
        const worker = workers[0]!;
        const pid = worker.pid;
        await worker.kill();
        await sleep(RESTART_PAUSE_MS);
        await worker.start();
        return `SIGKILL ${worker.name} pid ${pid}, restarted after ${RESTART_PAUSE_MS / 1000}s pause`;
      },
      async restartTemporal() {
        await temporal.restart(RESTART_PAUSE_MS);
        return 'SIGTERM, restarted on the same Postgres databases and port';
      },
      async restartPostgres() {
        if (!opts.postgresRestart) return { done: false, status: 'skipped: --no-postgres-restart' };
        await postgres.restart();
        await waitUntil('Postgres back', 60_000, async () => {
          await pool.query('SELECT 1');
          return true;
        });
        return {
          done: true,
          status: "done: the stack's own cluster, fast shutdown (SIGINT) and start",
          detail: 'fast shutdown (SIGINT), started again on the same data folder and port',
        };
      },
      async killApi() {
        const api = apis[1]!;
        const pid = api.pid;
        await api.kill();
        await sleep(API_DOWN_MS);
        await api.start();
        return `SIGKILL ${api.name} pid ${pid}; ${apis[0]!.name} alone for ${API_DOWN_MS / 1000}s, then restarted`;
      },
    },
    services: [...apis, ...workers],
    unexpectedExits: () => stack.unexpectedExits().map((e) => ({ ...e, at: e.at.getTime() - RUN_START })),
  };
}
