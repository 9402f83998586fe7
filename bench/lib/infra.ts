/**
 * What the benchmark starts before it measures anything: Temporal dev servers, Postgres, Redis, the receiver.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';

import { type DevServerOptions, findTemporalCli, startDevServer } from '../../src/temporal/dev-server';
import { freePort, sleep } from './common';
import { BENCH_DIR, type Child, findByComm, startNode } from './procs';

const run = promisify(execFile);

/** Runs `fn` the first time only: servers are stopped where their measurement ends, and again by the final cleanup. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

export interface TemporalServer {
  address: string;
  label: string;
  /** The dev server's processes: the CLI runs as one process, none for the SDK's downloaded server. */
  pids(): number[];
  stop(): Promise<void>;
}

async function startTemporal(label: string, opts: Partial<DevServerOptions>): Promise<TemporalServer> {
  const server = await startDevServer({ namespace: 'default', cliPath: process.env.TEMPORAL_CLI_PATH, ...opts });
  return {
    address: server.address,
    label,
    pids: () => (server.pid === undefined ? [] : [server.pid]),
    stop: once(() => server.stop()),
  };
}

/** The dev server as chat-webhooks runs it (src/temporal/dev-server.ts): in memory, WAL and synchronous=OFF. */
export function startMainTemporal(opts: { fairness?: boolean } = {}): Promise<TemporalServer> {
  return startTemporal(
    `in memory, WAL + synchronous=OFF${opts.fairness === false ? ', fairness off' : ''}`,
    opts.fairness === false ? { fairness: false } : {},
  );
}

/** A dev server on a SQLite file with exactly these pragmas (none: SQLite's defaults), for the pragma comparison. */
export function startPragmaTemporal(
  label: string,
  dbFilename: string,
  sqlitePragmas: string[],
): Promise<TemporalServer> {
  return startTemporal(label, { dbFilename, sqlitePragmas });
}

export async function temporalCliVersion(): Promise<string> {
  try {
    const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
    if (!cli) return 'SDK download';
    const { stdout } = await run(cli, ['--version']);
    return stdout.trim();
  } catch {
    return 'unknown';
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export interface DbCounters {
  /** committed transactions: with autocommit, one per statement outside a transaction */
  xacts: number;
  rowsFetched: number;
  rowsInserted: number;
  rowsUpdated: number;
}

export interface Database {
  url: string;
  kind: string;
  pids(): number[];
  /** The database's cumulative counters (pg_stat_database); undefined where the server keeps none. */
  counters(): Promise<DbCounters | undefined>;
  stop(): Promise<void>;
}

async function readCounters(url: string): Promise<DbCounters | undefined> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ x: string; f: string; i: string; u: string }>(
      'SELECT xact_commit AS x, tup_fetched AS f, tup_inserted AS i, tup_updated AS u FROM pg_stat_database WHERE datname = current_database()',
    );
    const row = rows[0];
    if (!row || Number(row.x) === 0) return undefined;
    return {
      xacts: Number(row.x),
      rowsFetched: Number(row.f),
      rowsInserted: Number(row.i),
      rowsUpdated: Number(row.u),
    };
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** DATABASE_URL: a fresh database on that server, dropped at the end. Otherwise embedded PGlite in a child process. */
export async function startDatabase(): Promise<Database> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const child = startNode('pglite', path.join(BENCH_DIR, 'pglite-server.ts'), {
      env: { PATH: process.env.PATH },
      ipc: true,
    });
    const { url } = (await child.ready()) as { url: string };
    return {
      url,
      kind: 'embedded PGlite (in its own process)',
      pids: () => [child.pid],
      counters: async () => undefined,
      stop: () => child.stop(),
    };
  }
  const name = `cw_bench_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    kind: `PostgreSQL ${version} (DATABASE_URL, fresh database ${name})`,
    // The backends serving this database (their process titles name it); other databases on the server, and the
    // server's shared background work, are not counted.
    pids: () => findByComm('postgres').filter((pid) => cmdline(pid).includes(` ${name} `)),
    counters: () => readCounters(url.href),
    async stop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export type Redis =
  | { available: true; url: string; version: string; started: boolean; pids(): number[]; stop(): Promise<void> }
  | { available: false; reason: string };

function which(binary: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function aptInstall(log: (msg: string) => void): string | undefined {
  const apt = which('apt-get');
  if (!apt) return 'redis-server is not installed and apt-get is not available';
  if (process.getuid?.() !== 0) return 'redis-server is not installed and installing it needs root';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync(apt, ['install', '-y', '-qq', 'redis-server'], { env, stdio: 'ignore', timeout: 180_000 });
  log('redis-server is missing: apt-get install -y redis-server');
  if (install().status === 0 && which('redis-server')) return undefined;
  log('apt-get install failed: apt-get update, then again');
  spawnSync(apt, ['update', '-qq'], { env, stdio: 'ignore', timeout: 180_000 });
  if (install().status === 0 && which('redis-server')) return undefined;
  return 'redis-server is not installed and apt-get could not install it';
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(1_000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Redis for BullMQ: none with BENCH_REDIS=off; REDIS_URL when set; otherwise the script's own redis-server on a free port, without persistence,
 * installed from Debian's packages first when it is missing and apt is at hand. Never throws: an unavailable Redis
 * skips the bullmq system.
 */
export async function startRedis(log: (msg: string) => void): Promise<Redis> {
  if (process.env.BENCH_REDIS === 'off') return { available: false, reason: 'Redis turned off with BENCH_REDIS=off' };
  if (process.env.REDIS_URL) {
    return {
      available: true,
      url: process.env.REDIS_URL,
      version: 'external (REDIS_URL)',
      started: false,
      pids: () => [],
      stop: async () => {},
    };
  }
  try {
    if (!which('redis-server')) {
      const problem = aptInstall(log);
      if (problem) return { available: false, reason: problem };
    }
    const binary = which('redis-server')!;
    const version =
      spawnSync(binary, ['--version'], { encoding: 'utf8' })
        .stdout.trim()
        .split(' ')
        .find((w) => w.startsWith('v='))
        ?.slice(2) ?? '?';
    const port = await freePort();
    const child = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    for (let i = 0; i < 50 && !(await ping(port)); i++) await sleep(100);
    if (!(await ping(port))) {
      child.kill('SIGKILL');
      return { available: false, reason: `redis-server did not answer on port ${port}` };
    }
    return {
      available: true,
      url: `redis://127.0.0.1:${port}`,
      version,
      started: true,
      pids: () => (child.pid ? [child.pid] : []),
      async stop() {
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      },
    };
  } catch (error) {
    return { available: false, reason: `redis could not be started: ${(error as Error).message}` };
  }
}

export interface ReceiverStats {
  requests: number;
  connections: number;
  verified: number;
  invalid: number;
  unparsable: number;
  /** First attempts refused on purpose (failFirstAttempts). */
  failedFirst?: number;
}

export interface ReceiverHandle {
  urls: string[];
  pid: number;
  onReceipts(fn: (items: Array<[string, string, number]>) => void): void;
  setSecrets(secrets: string[]): void;
  /** Answer 503 to the first attempt of one message in `every` (0: never); its retry gets a 200. */
  failFirstAttempts(every: number): void;
  stats(): Promise<ReceiverStats>;
  stop(): Promise<void>;
}

/** bench/receiver.ts in its own process, so that receiving costs no system any CPU; one endpoint per port. */
export async function startReceiverProcess(ports: number): Promise<ReceiverHandle> {
  const child: Child = startNode('receiver', path.join(BENCH_DIR, 'receiver.ts'), {
    env: { PATH: process.env.PATH, BENCH_RECEIVER_PORTS: String(ports) },
    ipc: true,
  });
  const { urls } = (await child.ready()) as { urls: string[] };
  const listeners: Array<(items: Array<[string, string, number]>) => void> = [];
  let statsWaiter: ((s: ReceiverStats) => void) | undefined;
  child.child.on('message', (msg: { type: string; items?: Array<[string, string, number]> } & ReceiverStats) => {
    if (msg.type === 'receipts') for (const fn of listeners) fn(msg.items!);
    if (msg.type === 'stats' && statsWaiter) statsWaiter(msg);
  });
  return {
    urls,
    pid: child.pid,
    onReceipts: (fn) => void listeners.push(fn),
    setSecrets: (secrets) => void child.child.send({ type: 'secrets', secrets }),
    failFirstAttempts: (every) => void child.child.send({ type: 'failFirst', every }),
    stats: () =>
      new Promise((resolve) => {
        statsWaiter = resolve;
        child.child.send({ type: 'stats' });
      }),
    stop: () => child.stop(),
  };
}
