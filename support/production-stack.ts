/**
 * The production topology of docker-compose.yml, as local processes and without Docker: its own Postgres cluster
 * (Temporal's two databases and ours), the Temporal server (built from its Go module, Postgres persistence and
 * visibility, deploy/temporal/server.yaml), the Temporal UI server, `chat-webhooks migrate`, then `api` and `worker`
 * processes from a production build. `npm run stack` (scripts/production-stack.ts), its test and the chaos run's
 * `--stack production` start it through `startProductionStack`.
 *
 * What it runs is built once and cached outside the repo (support/stack-build.ts); its Postgres is a cluster of its
 * own (support/stack-postgres.ts). A second start takes seconds.
 *
 * Versions and the server's settings have one source each: STACK_VERSIONS (support/stack-build.ts; docker-compose.yml's
 * image tags are tested against it) and deploy/temporal/ (server.yaml, dynamic-config.yaml, setup-schema.sh), which both use.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pg from 'pg';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

import { freePortForChild } from '../src/net/free-port';
import { generateApiKey } from '../src/security/api-keys';
import { generateSecretsKey } from '../src/security/secret-box';
import { generatePayloadKeys } from '../src/temporal/codec';
import { sdkConnectionOptions, type TemporalSecurity } from '../src/temporal/connection-options';
import { currentBuildId } from '../src/temporal/worker-deployment';
import { DEPLOY_DIR, ensureGoBinaries, ensureRelease, NAMESPACE_RETENTION_HOURS, STACK_VERSIONS } from './stack-build';
import { asPostgresUser, initPostgres, postgresBinDir } from './stack-postgres';
import { StackProcess, type UnexpectedExit } from './stack-process';

export {
  cacheDir,
  DEPLOY_DIR,
  ensureGoBinaries,
  ensureRelease,
  NAMESPACE_RETENTION_HOURS,
  STACK_VERSIONS,
} from './stack-build';

const execFileAsync = promisify(execFile);

/** docker-compose.yml's TEMPORAL_WORKER_DEPLOYMENT default (test/unit/production-stack-sync.test.ts). */
export const WORKER_DEPLOYMENT = 'chat-webhooks';

// ---------------------------------------------------------------------------------------------------------------
// The stack

export interface ProductionStackOptions {
  /** Where data and logs go; default a new temp folder, removed by stop() unless `keep`. */
  workDir?: string;
  /** Keep workDir after stop(). */
  keep?: boolean;
  /** api processes (default 2). */
  apis?: number;
  /** worker processes (default 2). */
  workers?: number;
  /** Start the Temporal UI server (default true). */
  ui?: boolean;
  /** matching.enableFairness on the server (default true, as deploy/temporal/dynamic-config.yaml has it). */
  fairness?: boolean;
  /** More dynamic config for the server, over deploy/temporal/dynamic-config.yaml's (tests shorten intervals). */
  dynamicConfig?: Record<string, unknown>;
  /** Added to every api and worker's environment (and to migrate's): DELIVERY_TIMEOUT_MS, RETRY_SCHEDULE, … */
  env?: Record<string, string>;
  /** Ports of the api processes, in order; default free ports. */
  apiPorts?: number[];
  /** Port of the Temporal frontend; default a free port. */
  temporalPort?: number;
  /** Port of the Temporal UI; default a free port. */
  uiPort?: number;
  /**
   * TLS on the frontend (files): the server's certificate and key and the CA that signed it; with `clientCa`, mutual
   * TLS, and `clientCert`/`clientKey` are what the stack's own probes, migrate, the apis and workers present
   * (as TEMPORAL_TLS_CERT / _KEY; `env` may override them, '' unsets one).
   */
  tls?: {
    serverCert: string;
    serverKey: string;
    serverCa: string;
    serverName?: string;
    clientCa?: string;
    clientCert?: string;
    clientKey?: string;
  };
  /** Start no api, worker or migrate: Postgres, Temporal (and the UI) only. */
  temporalOnly?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Told about every process that exited without being asked to (api and worker processes are restarted). */
  onUnexpectedExit?: (exit: UnexpectedExit) => void;
}

export interface ProductionStack {
  workDir: string;
  /** The api processes' base URLs, in order. */
  apiUrls: string[];
  temporalAddress: string;
  /** How clients of this stack connect to Temporal (TLS when the stack was started with `tls`). */
  temporalSecurity: TemporalSecurity;
  namespace: string;
  taskQueue: string;
  uiUrl: string | undefined;
  /** chat-webhooks' database on the stack's Postgres. */
  databaseUrl: string;
  /** The maintenance database of the stack's Postgres (user postgres). */
  postgresUrl: string;
  adminApiKey: string;
  codecApiKey: string;
  /** What every api and worker got, secrets included (for log-leak checks). */
  env: Record<string, string>;
  processes: {
    postgres: StackProcess;
    temporal: StackProcess;
    ui: StackProcess | undefined;
    apis: StackProcess[];
    workers: StackProcess[];
  };
  /** The Worker Deployment every worker polls in (TEMPORAL_WORKER_DEPLOYMENT, as in docker-compose.yml). */
  workerDeployment: string;
  /**
   * Starts one more worker process from the same build, with `env` over the stack's (a new build id, say), and adds it
   * to `processes.workers`. Resolves when it is running.
   */
  addWorker(name: string, env: Record<string, string>): Promise<StackProcess>;
  /** Every process's unexpected exits so far. */
  unexpectedExits(): UnexpectedExit[];
  /** Stops everything, apps first, then the UI, Temporal and Postgres; removes workDir unless `keep`. */
  stop(): Promise<void>;
}

const POSTGRES_USER = 'postgres';

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Connects, asks the frontend for its system info and closes; true when it answered. */
async function temporalAnswers(address: string, security: TemporalSecurity): Promise<boolean> {
  const connection = await Connection.connect({ ...sdkConnectionOptions(address, security), connectTimeout: 3_000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

/** Registers the namespace when missing, then waits until the frontend serves it (its cache refreshes every 10 s). */
async function ensureNamespace(address: string, security: TemporalSecurity, namespace: string): Promise<void> {
  const connection = await Connection.connect(sdkConnectionOptions(address, security));
  try {
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch {
      await connection.workflowService
        .registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs(NAMESPACE_RETENTION_HOURS * 3_600_000),
        })
        .catch((error: { code?: number }) => {
          if (error.code !== 6) throw error; // ALREADY_EXISTS: a concurrent start registered it.
        });
    }
    await waitFor(`namespace ${namespace}`, 60_000, async () => {
      await connection.operatorService.listSearchAttributes({ namespace });
      return true;
    });
  } finally {
    await connection.close();
  }
}

export async function startProductionStack(opts: ProductionStackOptions = {}): Promise<ProductionStack> {
  const log = opts.log ?? (() => undefined);
  const workDir = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-stack-'));
  fs.mkdirSync(path.join(workDir, 'logs'), { recursive: true });
  const logFile = (name: string) => path.join(workDir, 'logs', `${name}.log`);
  const started: StackProcess[] = [];
  const onUnexpectedExit = (exit: UnexpectedExit) => {
    log(`${exit.process} exited unexpectedly (code ${exit.code}, signal ${exit.signal})`);
    opts.onUnexpectedExit?.(exit);
  };
  const stopAll = async () => {
    for (const proc of [...started].reverse()) await proc.close().catch(() => undefined);
  };

  try {
    // The builds first, all at once: Go (minutes, once) and the chat-webhooks build (seconds, once per source change).
    const [bins, release] = await Promise.all([ensureGoBinaries(log), opts.temporalOnly ? '' : ensureRelease(log)]);

    // Postgres: a cluster of its own, so restarting it touches nothing else on the machine.
    const postgresPassword = crypto.randomBytes(18).toString('base64url');
    const pgPort = await freePortForChild();
    const dataDir = path.join(workDir, 'postgres');
    const socketDir = path.join(workDir, 'postgres-socket');
    if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await initPostgres(dataDir, postgresPassword);
    fs.mkdirSync(socketDir, { recursive: true });
    if (process.getuid?.() === 0) await execFileAsync('chown', ['postgres:postgres', socketDir]);
    const postgresUrl = `postgres://${POSTGRES_USER}:${postgresPassword}@127.0.0.1:${pgPort}/postgres`;
    const pgRun = asPostgresUser(path.join(postgresBinDir(), 'postgres'), [
      '-D',
      dataDir,
      '-p',
      String(pgPort),
      '-k',
      socketDir,
      '-c',
      'listen_addresses=127.0.0.1',
      // Temporal's pools (persistence and visibility, per service) plus every api and worker pool.
      '-c',
      'max_connections=300',
    ]);
    const postgres = new StackProcess({
      name: 'postgres',
      command: pgRun.command,
      args: pgRun.args,
      env: { PATH: process.env.PATH, LANG: 'C' },
      cwd: workDir,
      logFile: logFile('postgres'),
      stopSignal: 'SIGINT',
      ready: async () => {
        const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2_000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      onUnexpectedExit,
    });
    await postgres.start();
    started.push(postgres);
    log(`postgres on 127.0.0.1:${pgPort}`);

    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'chat_webhooks'`);
      if (exists.rowCount === 0) await admin.query('CREATE DATABASE chat_webhooks');
    } finally {
      await admin.end();
    }
    const databaseUrl = `postgres://${POSTGRES_USER}:${postgresPassword}@127.0.0.1:${pgPort}/chat_webhooks`;
    const pgEnv = {
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(pgPort),
      POSTGRES_USER,
      POSTGRES_PASSWORD: postgresPassword,
    };

    // Temporal's databases and schema, as docker-compose's temporal-schema service makes them.
    await execFileAsync('sh', [path.join(DEPLOY_DIR, 'setup-schema.sh')], {
      env: { PATH: process.env.PATH, ...pgEnv, SQL_TOOL: bins.sqlTool, SCHEMA_DIR: bins.schemaDir },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 120_000,
    }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`Temporal's schema setup failed: ${(error.stderr ?? error.message).slice(-3000)}`);
    });

    // The Temporal server: every service in one process, on free ports.
    const temporalPort = opts.temporalPort ?? (await freePortForChild());
    const ports: Record<string, string> = { TEMPORAL_FRONTEND_PORT: String(temporalPort) };
    for (const name of [
      'TEMPORAL_FRONTEND_MEMBERSHIP_PORT',
      'TEMPORAL_FRONTEND_HTTP_PORT',
      'TEMPORAL_HISTORY_PORT',
      'TEMPORAL_HISTORY_MEMBERSHIP_PORT',
      'TEMPORAL_MATCHING_PORT',
      'TEMPORAL_MATCHING_MEMBERSHIP_PORT',
      'TEMPORAL_WORKER_PORT',
      'TEMPORAL_WORKER_MEMBERSHIP_PORT',
    ])
      ports[name] = String(await freePortForChild());
    let dynamicConfig = path.join(DEPLOY_DIR, 'dynamic-config.yaml');
    const overrides = {
      ...(opts.fairness === false ? { 'matching.enableFairness': false } : {}),
      ...opts.dynamicConfig,
    };
    if (Object.keys(overrides).length > 0) {
      const base = parseYaml(fs.readFileSync(dynamicConfig, 'utf8')) as Record<string, unknown>;
      for (const [key, value] of Object.entries(overrides)) base[key] = [{ value }];
      dynamicConfig = path.join(workDir, 'dynamic-config.yaml');
      fs.writeFileSync(dynamicConfig, stringifyYaml(base));
    }
    const temporalAddress = `127.0.0.1:${temporalPort}`;
    const tls = opts.tls;
    const temporalSecurity: TemporalSecurity = tls
      ? {
          tls: {
            ca: fs.readFileSync(tls.serverCa),
            serverName: tls.serverName ?? 'localhost',
            ...(tls.clientCert && tls.clientKey
              ? { clientCert: { cert: fs.readFileSync(tls.clientCert), key: fs.readFileSync(tls.clientKey) } }
              : {}),
          },
          apiKey: undefined,
        }
      : { tls: undefined, apiKey: undefined };
    const clientTlsEnv: Record<string, string> = tls
      ? {
          TEMPORAL_TLS_CA: tls.serverCa,
          TEMPORAL_TLS_SERVER_NAME: tls.serverName ?? 'localhost',
          ...(tls.clientCert && tls.clientKey
            ? { TEMPORAL_TLS_CERT: tls.clientCert, TEMPORAL_TLS_KEY: tls.clientKey }
            : {}),
        }
      : {};
    const temporal = new StackProcess({
      name: 'temporal',
      command: bins.server,
      args: ['--config-file', path.join(DEPLOY_DIR, 'server.yaml'), '--allow-no-auth', 'start'],
      env: {
        PATH: process.env.PATH,
        ...pgEnv,
        ...ports,
        TEMPORAL_DYNAMIC_CONFIG: dynamicConfig,
        TEMPORAL_BIND_ON_IP: '127.0.0.1',
        TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
        ...(opts.tls
          ? {
              TEMPORAL_TLS_SERVER_CERT: opts.tls.serverCert,
              TEMPORAL_TLS_SERVER_KEY: opts.tls.serverKey,
              TEMPORAL_TLS_SERVER_CA: opts.tls.serverCa,
              TEMPORAL_TLS_SERVER_NAME: opts.tls.serverName ?? 'localhost',
              ...(opts.tls.clientCa ? { TEMPORAL_TLS_CLIENT_CA: opts.tls.clientCa } : {}),
            }
          : {}),
      },
      cwd: workDir,
      logFile: logFile('temporal'),
      readyTimeoutMs: 120_000,
      ready: () => temporalAnswers(temporalAddress, temporalSecurity),
      onUnexpectedExit,
    });
    await temporal.start();
    started.push(temporal);
    log(`temporal ${STACK_VERSIONS.temporalServer} on ${temporalAddress}${opts.tls ? ' (TLS)' : ''}`);

    const namespace = 'default';
    await ensureNamespace(temporalAddress, temporalSecurity, namespace);

    const codecApiKey = generateApiKey('cwk_codec_');
    const apiPorts = opts.apiPorts ?? [];
    const apiCount = opts.temporalOnly ? 0 : (opts.apis ?? 2);
    while (apiPorts.length < apiCount) apiPorts.push(await freePortForChild());

    // The UI server, pointed at the first api's codec server as docker-compose's temporal-ui is.
    let ui: StackProcess | undefined;
    let uiUrl: string | undefined;
    if (opts.ui ?? true) {
      const uiPort = opts.uiPort ?? (await freePortForChild());
      uiUrl = `http://127.0.0.1:${uiPort}`;
      const uiRoot = path.join(workDir, 'ui');
      fs.mkdirSync(path.join(uiRoot, 'config'), { recursive: true });
      fs.writeFileSync(
        path.join(uiRoot, 'config', 'stack.yaml'),
        [
          `temporalGrpcAddress: ${temporalAddress}`,
          `host: 127.0.0.1`,
          `port: ${uiPort}`,
          `enableUi: true`,
          `defaultNamespace: ${namespace}`,
          ...(apiPorts[0] ? ['codec:', `  endpoint: http://127.0.0.1:${apiPorts[0]}/codec/${codecApiKey}`] : []),
          ...(opts.tls
            ? [
                'tls:',
                `  caFile: ${opts.tls.serverCa}`,
                `  serverName: ${opts.tls.serverName ?? 'localhost'}`,
                ...(opts.tls.clientCert && opts.tls.clientKey
                  ? [`  certFile: ${opts.tls.clientCert}`, `  keyFile: ${opts.tls.clientKey}`]
                  : []),
              ]
            : []),
          '',
        ].join('\n'),
      );
      ui = new StackProcess({
        name: 'temporal-ui',
        command: bins.ui,
        args: ['--root', uiRoot, '--env', 'stack', 'start'],
        env: { PATH: process.env.PATH },
        cwd: uiRoot,
        logFile: logFile('temporal-ui'),
        ready: async () => (await fetch(`${uiUrl}/`)).ok,
        onUnexpectedExit,
      });
      await ui.start();
      started.push(ui);
      log(`temporal ui ${STACK_VERSIONS.temporalUi} on ${uiUrl}`);
    }

    const adminApiKey = generateApiKey('cwk_admin_');
    const taskQueue = 'chat-webhooks';
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SECRETS_KEY: generateSecretsKey(),
      TEMPORAL_PAYLOAD_KEYS: generatePayloadKeys(),
      ADMIN_API_KEY: adminApiKey,
      CODEC_API_KEY: codecApiKey,
      ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl, CODEC_CORS_ORIGINS: uiUrl } : {}),
      HOST: '127.0.0.1',
      METRICS_PORT: '0',
      WORKFLOW_BUNDLE_PATH: path.join(release, 'dist', 'workflow-bundle.js'),
      ...clientTlsEnv,
      ...opts.env,
    };
    const bin = path.join(release, 'bin', 'chat-webhooks.js');
    // Versioned workers, as docker-compose.yml runs them; the first one makes its version current.
    const workerEnv = { TEMPORAL_WORKER_DEPLOYMENT: WORKER_DEPLOYMENT };
    const app = (name: string, role: 'api' | 'worker', extra: Record<string, string>) =>
      new StackProcess({
        name,
        command: process.execPath,
        args: [bin, role],
        env: { PATH: process.env.PATH, ...env, ...extra },
        cwd: release,
        logFile: logFile(name),
        restartOnCrash: true,
        ready: (output) => (role === 'api' ? /"msg":"api listening"/ : /"msg":"worker running"/).test(output),
        onUnexpectedExit,
      });

    const apis: StackProcess[] = [];
    const workers: StackProcess[] = [];
    if (!opts.temporalOnly) {
      // migrate: the schema, the search attributes and the retention schedule, before any api or worker.
      const migrate = await execFileAsync(process.execPath, [bin, 'migrate'], {
        cwd: release,
        env: { PATH: process.env.PATH, ...env },
        timeout: 120_000,
      }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`chat-webhooks migrate failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`);
      });
      fs.writeFileSync(logFile('migrate'), migrate.stdout + migrate.stderr);
      for (let i = 0; i < (opts.workers ?? 2); i++) workers.push(app(`worker-${i + 1}`, 'worker', workerEnv));
      for (let i = 0; i < apiCount; i++) apis.push(app(`api-${i + 1}`, 'api', { PORT: String(apiPorts[i]) }));
      await Promise.all(
        [...workers, ...apis].map(async (proc) => {
          await proc.start();
          started.push(proc);
        }),
      );
      if (workers.length > 0) {
        // Until the first worker's version is current, new workflows would wait in the queue: ready means routed.
        await waitFor('a current worker version', 60_000, async () => {
          const connection = await Connection.connect(sdkConnectionOptions(temporalAddress, temporalSecurity));
          try {
            return (await currentBuildId(connection, namespace, WORKER_DEPLOYMENT)).buildId !== undefined;
          } finally {
            await connection.close();
          }
        });
      }
      log(`${apis.length} api and ${workers.length} worker processes running`);
    }

    return {
      workDir,
      apiUrls: apiPorts.slice(0, apiCount).map((port) => `http://127.0.0.1:${port}`),
      temporalAddress,
      temporalSecurity,
      namespace,
      taskQueue,
      uiUrl,
      databaseUrl,
      postgresUrl,
      adminApiKey,
      codecApiKey,
      env,
      processes: { postgres, temporal, ui, apis, workers },
      workerDeployment: WORKER_DEPLOYMENT,
      async addWorker(name, extra) {
        const proc = app(name, 'worker', { ...workerEnv, ...extra });
        await proc.start();
        started.push(proc);
        workers.push(proc);
        return proc;
      },
      unexpectedExits: () => started.flatMap((proc) => proc.unexpectedExits),
      async stop() {
        await stopAll();
        if (!opts.keep && !opts.workDir) fs.rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll();
    if (!opts.keep && !opts.workDir) {
      log(`start failed; logs were in ${workDir}`);
      fs.rmSync(workDir, { recursive: true, force: true });
    }
    throw error;
  }
}
