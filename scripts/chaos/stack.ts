/**
 * What the chaos run runs: the Temporal dev server (through the project's launcher, so it can be restarted on the same
 * SQLite file and port), the api and worker processes as operators run them, and the database.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';

import { startEmbeddedPostgres } from '../../src/db/embedded';
import type { Db } from '../../src/db/pool';
// Ports below the ephemeral range: the restarted Temporal server gets its port back even while other tests run.
import { freePortForChild } from '../../src/net/free-port';
import { PACKAGE_ROOT } from '../../src/package-root';
import { type DevServer, startDevServer } from '../../src/temporal/dev-server';
import { type Cleanup, GiveUp, log, sinceStart, sleep, waitUntil } from './common';
import type { PostgresOutcome } from './faults';
import type { Options } from './options';

export const execFileAsync = promisify(execFile);
const BIN = path.join(PACKAGE_ROOT, 'bin', 'chat-webhooks.js');

// ---------------------------------------------------------------------------------------------------------------
// The Temporal dev server

export async function startTemporal(cli: string, folder: string): Promise<DevServer> {
  return startDevServer({
    cliPath: cli,
    namespace: 'default',
    port: await freePortForChild(),
    dbFilename: path.join(folder, 'temporal.db'),
    // WAL with SQLite's default synchronous: what the chaos run has always restarted on.
    sqlitePragmas: ['journal_mode=WAL'],
    logFile: path.join(folder, 'temporal.log'),
  });
}

/** The launcher's stop (SIGTERM, then SIGKILL after `timeoutMs`), saying so when it had to SIGKILL. */
export async function stopTemporal(server: DevServer, timeoutMs = 30_000): Promise<void> {
  const slow = setTimeout(
    () => log(`Temporal dev server did not stop within ${timeoutMs} ms of SIGTERM; SIGKILL`),
    timeoutMs,
  );
  try {
    await server.stop(timeoutMs);
  } finally {
    clearTimeout(slow);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The api and worker processes, under a small supervisor

type Role = 'api' | 'worker';

export class Service {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  private tail: string[] = [];
  unexpectedExits: Array<{ at: number; code: number | null; signal: string | null; tail: string }> = [];
  starts = 0;

  constructor(
    readonly role: Role,
    private readonly env: NodeJS.ProcessEnv,
    readonly logFile: string,
    private readonly cleanup: Cleanup,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get name(): string {
    return this.role;
  }

  outputTail(): string {
    return this.tail.join('');
  }

  /** Spawns the process and waits for its ready line ("api listening" / "worker running"). */
  async start(): Promise<void> {
    const readyLine = this.role === 'api' ? /"msg":"api listening"/ : /"msg":"worker running"/;
    const child = spawn(process.execPath, [BIN, this.role], {
      cwd: PACKAGE_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    this.expectingExit = false;
    const file = fs.createWriteStream(this.logFile, { flags: 'a' });
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      file.write(text);
      if (output.length < 1_000_000) output += text;
      this.tail.push(text);
      if (this.tail.length > 40) this.tail.shift();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    let ready = false;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        file.end();
        if (this.child === child) this.child = undefined;
        // Only a process that was up is supervised; one that dies while starting fails its start().
        if (ready && !this.expectingExit && !this.cleanup.stopping) {
          this.unexpectedExits.push({ at: sinceStart(), code, signal, tail: this.outputTail().slice(-4000) });
          log(`${this.role} exited unexpectedly (code ${code}, signal ${signal}); restarting it as a supervisor would`);
          void this.restartAfterCrash();
        }
        resolve();
      });
    });
    await waitUntil(
      `${this.role} ready`,
      60_000,
      async () => {
        if (readyLine.test(output)) return true;
        if (this.child !== child) throw new GiveUp(`${this.role} exited before it was ready:\n${this.outputTail()}`);
        return false;
      },
      100,
    ).catch((error) => {
      if (this.child === child) child.kill('SIGKILL');
      throw error;
    });
    ready = true;
  }

  private async restartAfterCrash(): Promise<void> {
    for (let tries = 0; tries < 30 && !this.cleanup.stopping; tries++) {
      await sleep(1_000);
      if (this.cleanup.stopping || this.child) return;
      try {
        await this.start();
        return;
      } catch (error) {
        log(`${this.role} restart failed: ${(error as Error).message.split('\n')[0]}`);
      }
    }
  }

  /** SIGKILL: no shutdown, no goodbye; what an OOM killer or a lost machine does. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) throw new Error(`${this.role} is not running`);
    this.expectingExit = true;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (clean shutdown), then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectingExit = true;
    child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Database: a fresh database on DATABASE_URL's server, or an embedded PGlite

export interface ChaosDatabase {
  kind: 'postgres' | 'pglite';
  url: string;
  /** DATABASE_URL itself (the server's maintenance database), for the restart and the final DROP. */
  serverUrl?: string;
  stop(): Promise<void>;
}

export async function createDatabase(serverUrl: string | undefined): Promise<ChaosDatabase> {
  if (!serverUrl) {
    // api and worker pools (10 each), a SIGKILLed worker's connections until PGlite notices, our own pool.
    const embedded = await startEmbeddedPostgres({ maxConnections: 80 });
    return { kind: 'pglite', url: embedded.url, stop: embedded.stop };
  }
  const name = `chaos_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    url: url.href,
    serverUrl,
    async stop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Finds the local cluster behind DATABASE_URL (its major version and port, matched in `pg_lsclusters`). Returns the
 * reason when it cannot be restarted from here.
 */
export async function findPostgresCluster(
  serverUrl: string,
): Promise<{ version: string; name: string } | { skip: string }> {
  const host = new URL(serverUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(host))
    return { skip: `DATABASE_URL's server (${host}) is not local` };
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  let major: string;
  let port: string;
  try {
    const versionNum = (await client.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]!
      .server_version_num;
    major = String(Math.floor(Number(versionNum) / 10_000));
    port = (await client.query<{ port: string }>('SHOW port')).rows[0]!.port;
  } finally {
    await client.end();
  }
  let listing: string;
  try {
    listing = (await execFileAsync('pg_lsclusters', ['-h'], { timeout: 10_000 })).stdout;
  } catch (error) {
    return { skip: `pg_lsclusters is not available (${(error as Error).message.split('\n')[0]})` };
  }
  for (const line of listing.split('\n')) {
    const [version, name, clusterPort] = line.trim().split(/\s+/);
    if (version === major && clusterPort === port && name) return { version, name };
  }
  return { skip: `no cluster of version ${major} on port ${port} in pg_lsclusters` };
}

/** The dev stack's Postgres restart: DATABASE_URL's local cluster, through pg_ctlcluster. */
export async function restartClusterPostgres(db: ChaosDatabase, opts: Options, pool: Db): Promise<PostgresOutcome> {
  if (db.kind === 'pglite')
    return { done: false, status: 'skipped: embedded PGlite (no DATABASE_URL) runs inside this process' };
  if (!opts.postgresRestart) return { done: false, status: 'skipped: --no-postgres-restart' };
  const cluster = await findPostgresCluster(db.serverUrl!);
  if ('skip' in cluster) return { done: false, status: `skipped: ${cluster.skip}` };
  try {
    await execFileAsync('pg_ctlcluster', [cluster.version, cluster.name, 'restart'], { timeout: 120_000 });
  } catch (error) {
    const message = ((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n')[0];
    // Never leave the server down.
    await execFileAsync('pg_ctlcluster', [cluster.version, cluster.name, 'start'], { timeout: 60_000 }).catch(
      () => undefined,
    );
    return {
      done: false,
      status: `skipped: pg_ctlcluster ${cluster.version} ${cluster.name} restart failed: ${message}`,
    };
  }
  await waitUntil('Postgres back', 60_000, async () => {
    await pool.query('SELECT 1');
    return true;
  });
  return {
    done: true,
    status: `done: pg_ctlcluster ${cluster.version} ${cluster.name} restart`,
    detail: `pg_ctlcluster ${cluster.version} ${cluster.name} restart`,
  };
}
