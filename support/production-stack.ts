/**
 * The production topology of docker-compose.yml, as local processes and without Docker: its own Postgres cluster
 * (Temporal's two databases and ours), the Temporal server (built from its Go module, Postgres persistence and
 * visibility, deploy/temporal/server.yaml), the Temporal UI server, `chat-webhooks migrate`, then `api` and `worker`
 * processes from a production build. `npm run stack` (scripts/production-stack.ts), its test and the chaos run's
 * `--stack production` start it through `startProductionStack`.
 *
 * Go binaries are built once (`go install`, GOTOOLCHAIN downloads the Go they need) into a cache outside the repo,
 * ~/.cache/chat-webhooks/go/<name>-<version>/ (CHAT_WEBHOOKS_CACHE moves it); the build of chat-webhooks itself is
 * cached there by a hash of its sources. A second start takes seconds.
 *
 * Versions and the server's settings have one source each: STACK_VERSIONS below (docker-compose.yml's image tags are
 * tested against it) and deploy/temporal/ (server.yaml, dynamic-config.yaml, setup-schema.sh), which both use.
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

import { freePortForChild } from '../src/net/free-port';
import { PACKAGE_ROOT } from '../src/package-root';
import { generateApiKey } from '../src/security/api-keys';
import { generateSecretsKey } from '../src/security/secret-box';
import { generatePayloadKeys } from '../src/temporal/codec';
import { sdkConnectionOptions, type TemporalSecurity } from '../src/temporal/connection-options';
import { StackProcess, type UnexpectedExit } from './stack-process';

const execFileAsync = promisify(execFile);

/** What the stack runs; docker-compose.yml uses the same tags (test/unit/production-stack-sync.test.ts). */
export const STACK_VERSIONS = {
  /** go.temporal.io/server: the server and temporal-sql-tool (temporalio/server, temporalio/admin-tools images). */
  temporalServer: '1.32.2',
  /** github.com/temporalio/ui-server/v2 (temporalio/ui image). 2.58.1 does not build here (two modules refused). */
  temporalUi: '2.56.4',
  /** The Go that builds them (the server needs ≥ 1.26.10); GOTOOLCHAIN fetches it through the module proxy. */
  goToolchain: 'go1.27.3',
} as const;

/** How long Temporal keeps a closed workflow's history, as docker-compose's temporal-setup registers the namespace. */
export const NAMESPACE_RETENTION_HOURS = 72;

export const DEPLOY_DIR = path.join(PACKAGE_ROOT, 'deploy', 'temporal');

export function cacheDir(): string {
  return process.env.CHAT_WEBHOOKS_CACHE ?? path.join(os.homedir(), '.cache', 'chat-webhooks');
}

// ---------------------------------------------------------------------------------------------------------------
// Go binaries

interface GoBinary {
  name: string;
  module: string;
  version: string;
}

const GO_BINARIES = {
  server: {
    name: 'temporal-server',
    module: 'go.temporal.io/server/cmd/server',
    version: STACK_VERSIONS.temporalServer,
  },
  sqlTool: {
    name: 'temporal-sql-tool',
    module: 'go.temporal.io/server/cmd/tools/sql',
    version: STACK_VERSIONS.temporalServer,
  },
  ui: {
    name: 'temporal-ui-server',
    module: 'github.com/temporalio/ui-server/v2/cmd/server',
    version: STACK_VERSIONS.temporalUi,
  },
} satisfies Record<string, GoBinary>;

export interface GoBinaries {
  server: string;
  sqlTool: string;
  ui: string;
  /** The server module's schema/postgresql/v12 folder, copied beside the server binary. */
  schemaDir: string;
}

function goBinDir(binary: GoBinary): string {
  return path.join(cacheDir(), 'go', `${binary.name}-${binary.version}`);
}

/** `go` on PATH, or Go's default install folder. */
function findGo(): string {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/go/bin']) {
    const candidate = path.join(dir, 'go');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    'Building the Temporal server needs Go 1.21 or later (it then downloads ' +
      `${STACK_VERSIONS.goToolchain} itself): install it from https://go.dev/dl/ or put its bin folder on PATH`,
  );
}

async function goInstall(binary: GoBinary, log: (line: string) => void): Promise<string> {
  const dir = goBinDir(binary);
  // Both the server and the UI server build a binary named `server`: each gets its own GOBIN.
  const file = path.join(dir, binary.module.endsWith('/sql') ? 'sql' : 'server');
  if (fs.existsSync(file)) return file;
  const started = Date.now();
  log(`building ${binary.module}@v${binary.version} (first run only; a few minutes on 2 cores)`);
  const partial = `${dir}.partial-${process.pid}`;
  fs.mkdirSync(partial, { recursive: true });
  try {
    await execFileAsync(findGo(), ['install', `${binary.module}@v${binary.version}`], {
      env: { ...process.env, GOBIN: partial, GOTOOLCHAIN: STACK_VERSIONS.goToolchain, GOFLAGS: '-mod=mod' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 30 * 60_000,
    });
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`go install ${binary.module}@v${binary.version} failed:\n${stderr.slice(-3000)}`, {
      cause: error,
    });
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // A rename makes the folder appear whole, so a build killed halfway is never taken for a finished one.
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  log(`built ${binary.name} in ${Math.round((Date.now() - started) / 1000)} s`);
  return file;
}

/** The server module's Postgres schema, copied next to the binary so the module cache may be cleaned. */
async function schemaDir(): Promise<string> {
  const target = path.join(goBinDir(GO_BINARIES.server), 'schema', 'postgresql', 'v12');
  if (fs.existsSync(path.join(target, 'temporal', 'versioned'))) return target;
  const { stdout } = await execFileAsync(findGo(), ['env', 'GOMODCACHE'], {
    env: { ...process.env, GOTOOLCHAIN: STACK_VERSIONS.goToolchain },
  });
  const source = path.join(
    stdout.trim(),
    `go.temporal.io/server@v${STACK_VERSIONS.temporalServer}`,
    'schema',
    'postgresql',
    'v12',
  );
  if (!fs.existsSync(source)) throw new Error(`Temporal's schema is not in the Go module cache (${source})`);
  fs.cpSync(source, target, { recursive: true });
  // The module cache is read-only; the copy need not be.
  await execFileAsync('chmod', ['-R', 'u+w', target]);
  return target;
}

/**
 * The three Go binaries, built when missing. The server and the SQL tool share a module, so they build one after the
 * other (the second reuses the first's compiled packages); the UI server builds beside them.
 */
export async function ensureGoBinaries(log: (line: string) => void = () => undefined): Promise<GoBinaries> {
  return withBuildLock(path.join(cacheDir(), 'go', '.build-lock'), log, () => buildGoBinaries(log));
}

/**
 * One build at a time per cache: stacks started at once (test files in parallel) wait for the first to finish its
 * build, then find the binaries. A lock left by a process that died is taken over.
 */
async function withBuildLock<T>(lock: string, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      let alive: boolean;
      try {
        if (holder > 0) process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        alive = false;
      }
      if (!alive && holder > 0) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) log(`waiting for another process's build (${lock})`);
      told = true;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

async function buildGoBinaries(log: (line: string) => void): Promise<GoBinaries> {
  const [[server, sqlTool], ui] = await Promise.all([
    (async () => {
      const server = await goInstall(GO_BINARIES.server, log);
      return [server, await goInstall(GO_BINARIES.sqlTool, log)] as const;
    })(),
    goInstall(GO_BINARIES.ui, log),
  ]);
  return { server, sqlTool, ui, schemaDir: await schemaDir() };
}

// ---------------------------------------------------------------------------------------------------------------
// The chat-webhooks build

const BUILD_INPUTS = ['src', 'workflows', 'activities', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

function sourceHash(): string {
  const hash = crypto.createHash('sha256');
  const add = (file: string) => {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file).sort()) add(path.join(file, entry));
    } else {
      hash.update(path.relative(PACKAGE_ROOT, file));
      hash.update(fs.readFileSync(file));
    }
  };
  for (const input of BUILD_INPUTS) add(path.join(PACKAGE_ROOT, input));
  return hash.digest('hex').slice(0, 16);
}

/**
 * A production build in a folder of its own, laid out as the Docker image is (dist/, bin/, migrations/, portal/dist,
 * package.json, node_modules), so a `npm run build:server` in the checkout never pulls files from under a running
 * stack. Runs build:server's two steps (tsc, then the workflow bundle) into it; cached by a hash of the sources.
 */
export async function ensureRelease(log: (line: string) => void = () => undefined): Promise<string> {
  const dir = path.join(cacheDir(), 'release', sourceHash());
  const marker = path.join(dir, '.complete');
  if (!fs.existsSync(marker)) await withBuildLock(`${dir}.lock`, log, () => buildRelease(dir, marker, log));
  return dir;
}

async function buildRelease(dir: string, marker: string, log: (line: string) => void): Promise<void> {
  // Another process may have finished it while this one waited for the lock.
  if (fs.existsSync(marker)) return;
  const started = Date.now();
  log('building chat-webhooks for production (tsc and the workflow bundle)');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const tsc = require.resolve('typescript/bin/tsc', { paths: [PACKAGE_ROOT] });
  await execFileAsync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(dir, 'dist')], {
    cwd: PACKAGE_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const bundle = await bundleWorkflowCode({
    workflowsPath: path.join(PACKAGE_ROOT, 'workflows'),
    logger: silent as never,
  });
  fs.writeFileSync(path.join(dir, 'dist', 'workflow-bundle.js'), bundle.code);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(path.join(PACKAGE_ROOT, 'bin', 'chat-webhooks.js'), path.join(dir, 'bin', 'chat-webhooks.js'));
  fs.copyFileSync(path.join(PACKAGE_ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(PACKAGE_ROOT, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  fs.symlinkSync(path.join(PACKAGE_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.mkdirSync(path.join(dir, 'portal'));
  // The portal is built by `npm run build` (setup.sh); linked, so a rebuild shows without a new release.
  fs.symlinkSync(path.join(PACKAGE_ROOT, 'portal', 'dist'), path.join(dir, 'portal', 'dist'));
  fs.writeFileSync(marker, new Date().toISOString());
  log(`built chat-webhooks in ${Math.round((Date.now() - started) / 1000)} s`);
}

// ---------------------------------------------------------------------------------------------------------------
// Postgres

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  if (versions.length === 0)
    throw new Error('No PostgreSQL server in /usr/lib/postgresql: install it (apt-get install postgresql)');
  return path.join(root, versions.at(-1)!, 'bin');
}

/** Postgres refuses to run as root: then it runs as the `postgres` user (Debian's package creates it). */
function asPostgresUser(command: string, args: string[]): { command: string; args: string[] } {
  if (process.getuid?.() !== 0) return { command, args };
  return {
    command: 'setpriv',
    args: ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args],
  };
}

async function initPostgres(dataDir: string, password: string): Promise<void> {
  const bin = postgresBinDir();
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(dataDir), 'pgpass-init');
  fs.writeFileSync(pwfile, password, { mode: 0o600 });
  if (process.getuid?.() === 0) {
    await execFileAsync('chown', ['postgres:postgres', dataDir, pwfile]);
    // The postgres user must reach the data folder through its parents.
    for (let dir = path.dirname(dataDir); dir !== '/' && dir !== os.tmpdir(); dir = path.dirname(dir)) {
      fs.chmodSync(dir, fs.statSync(dir).mode | 0o711);
    }
  }
  const init = asPostgresUser(path.join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--pwfile',
    pwfile,
    '--auth-host=scram-sha-256',
    '--auth-local=peer',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  try {
    await execFileAsync(init.command, init.args, { timeout: 120_000 });
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

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
    if (opts.fairness === false) {
      dynamicConfig = path.join(workDir, 'dynamic-config.yaml');
      fs.writeFileSync(
        dynamicConfig,
        fs
          .readFileSync(path.join(DEPLOY_DIR, 'dynamic-config.yaml'), 'utf8')
          .replace(/(matching\.enableFairness:\n\s+- value: )true/, '$1false'),
      );
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
      for (let i = 0; i < (opts.workers ?? 2); i++) workers.push(app(`worker-${i + 1}`, 'worker', {}));
      for (let i = 0; i < apiCount; i++) apis.push(app(`api-${i + 1}`, 'api', { PORT: String(apiPorts[i]) }));
      await Promise.all(
        [...workers, ...apis].map(async (proc) => {
          await proc.start();
          started.push(proc);
        }),
      );
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
