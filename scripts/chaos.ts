/**
 * `npm run chaos`: a chaos run of the production processes. It proves that no event is lost and every delivery is
 * signed and logged truthfully while the worker is SIGKILLed, the Temporal server restarts and Postgres restarts.
 *
 *   npm run chaos                          2000 events, 3 webhooks
 *   npm run chaos -- --events 200          (or --quick) the size the test suite runs
 *   npm run chaos -- --json                a machine-readable summary as the last line of stdout
 *
 * Other flags: --webhooks N (default 3), --concurrency N (events in flight, default 8), --send-seconds S (how long
 * sending is spread over), --drain-timeout S, --no-postgres-restart, --keep-logs (keep the processes' logs).
 *
 * What it runs, all started and cleaned up here:
 * - its own Temporal dev server (`temporal server start-dev` with a SQLite file in a temp folder), so it can restart it
 *   on the same file and port;
 * - a fresh database `chaos_<random>` on DATABASE_URL's server, or an embedded PGlite when DATABASE_URL is unset (then
 *   there is no Postgres restart);
 * - `chat-webhooks migrate` (in-process), then `chat-webhooks api` and `chat-webhooks worker` as separate processes,
 *   with production environment only;
 * - one HTTP receiver per webhook on 127.0.0.1:0. During the chaos phase each request is answered at random: 30% 500,
 *   10% hang past the delivery timeout, 5% connection reset, the rest 200. Every request is recorded and its signature
 *   checked with the standardwebhooks library.
 *
 * While the events are sent (same event id again after any refusal), the worker is SIGKILLed 3 times, the Temporal
 * server restarted once and Postgres restarted once (`pg_ctlcluster`). Then the receivers answer 200 to everything, the
 * run waits until no delivery is pending and every chat-event workflow is closed, and checks the receivers' records
 * against the delivery log. Progress goes to stderr; the report (a markdown table) to stdout. Exit code 1 when a check
 * fails.
 */
import { type ChildProcess,execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';

import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';

import { startEmbeddedPostgres } from '../src/db/embedded';
import { migrate } from '../src/db/migrate';
import { createPool, type Db } from '../src/db/pool';
import { ALL_SEARCH_ATTRIBUTES } from '../src/domain/search-attributes';
import { PACKAGE_ROOT } from '../src/package-root';
import { generateSecretsKey } from '../src/security/secret-box';
import { findTemporalCli, TEMPORAL_CLI_INSTALL_HELP } from '../src/temporal/dev-server';
import { WORKFLOWS_PATH } from '../src/temporal/worker';
// Ports below the ephemeral range: the API and the restarted Temporal server get theirs back even while other tests run.
import { freePortForChild } from '../src/net/free-port';

const execFileAsync = promisify(execFile);
const BIN = path.join(PACKAGE_ROOT, 'bin', 'chat-webhooks.js');

/** The time one delivery attempt may take (DELIVERY_TIMEOUT_MS). Hanging answers outlast it. */
const DELIVERY_TIMEOUT_MS = 2_000;
/**
 * RETRY_SCHEDULE: 40 delays of 1 s, so 41 attempts. No delivery may exhaust its schedule during the chaos phase:
 * receivers fail ~45% of attempts at random (more when a loaded machine turns slow 200s into timeouts), so a delivery
 * fails all of its attempts with probability 0.45^41 ≈ 6e-15 (0.6^41 ≈ 8e-10 at 60% failures); over 6000 deliveries
 * that stays far below 1e-5. Outages use up no attempts: a dead worker makes none, an unreachable Postgres fails the
 * activity (retried by Temporal with the same attempt number) before or after the send, never as a new attempt.
 * Short delays keep the drain short: once the receivers answer 200, every pending delivery succeeds about 1 s later.
 */
const RETRY_SCHEDULE = Array.from({ length: 40 }, () => '1s').join(',');
/** How long a hanging answer holds the connection if the worker does not give up first. */
const HANG_MS = 30_000;
/** Faults happen in this order, each once the sender has finished this fraction of the events. */
const FAULT_PLAN: Array<{ at: number; kind: FaultKind }> = [
  { at: 0.1, kind: 'worker-kill' },
  { at: 0.3, kind: 'temporal-restart' },
  { at: 0.45, kind: 'worker-kill' },
  { at: 0.6, kind: 'postgres-restart' },
  { at: 0.8, kind: 'worker-kill' },
];
/** Least time between the end of one fault and the start of the next, so each is seen on its own. */
const FAULT_GAP_MS = 5_000;
/** Pause between a SIGKILLed worker's death and its restart, and between Temporal's stop and start. */
const RESTART_PAUSE_MS = 2_000;
/**
 * A send whose outcome the delivery log does not hold (its activity execution was retried) must lie this close to a
 * fault. The send happens inside the execution that is lost, so before the fault ends: at most one execution's length
 * (the HTTP timeout plus its database work) before a SIGKILL, a Postgres restart or a Temporal stop, or during the
 * outage. The retried execution that follows is the one recorded.
 */
const FAULT_WINDOW_BEFORE_MS = DELIVERY_TIMEOUT_MS + 13_000;
const FAULT_WINDOW_AFTER_MS = 5_000;

type FaultKind = 'worker-kill' | 'temporal-restart' | 'postgres-restart';

// ---------------------------------------------------------------------------------------------------------------
// Options, logging, small helpers

interface Options {
  events: number;
  webhooks: number;
  json: boolean;
  concurrency: number;
  sendSeconds: number;
  drainTimeoutMs: number;
  postgresRestart: boolean;
  keepLogs: boolean;
}

const USAGE = `usage: npm run chaos -- [--events N | --quick] [--webhooks N] [--json] [--concurrency N] [--send-seconds S]
                        [--drain-timeout S] [--no-postgres-restart] [--keep-logs]`;

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`--${name} must be a positive integer, not ${text}`);
  return value;
}

class UsageError extends Error {}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        events: { type: 'string' },
        quick: { type: 'boolean', default: false },
        webhooks: { type: 'string' },
        json: { type: 'boolean', default: false },
        concurrency: { type: 'string' },
        'send-seconds': { type: 'string' },
        'drain-timeout': { type: 'string' },
        'no-postgres-restart': { type: 'boolean', default: false },
        'keep-logs': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function parseOptions(argv: string[]): Options {
  const values = parseFlags(argv);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const events = positive('events', values.events, values.quick ? 200 : 2000);
  return {
    events,
    webhooks: positive('webhooks', values.webhooks, 3),
    json: values.json,
    concurrency: positive('concurrency', values.concurrency, 8),
    // Long enough for five faults to happen while events still flow (200 events: 55 s), and no faster than a 2-core
    // machine delivers under chaos (~7 events/s; 2000 events: 280 s), so most deliveries meet the failing receivers.
    sendSeconds: positive('send-seconds', values['send-seconds'], Math.max(55, Math.round(events * 0.14))),
    // 200 events: 4 min; 2000 events: 10 min. Not less than 4 min: a worker SIGKILLed while it runs an event's
    // evaluateConditions activity (3-minute start-to-close timeout, no heartbeat) holds that workflow open ~3 min.
    drainTimeoutMs: positive('drain-timeout', values['drain-timeout'], Math.max(240, Math.round(events * 0.3))) * 1000,
    postgresRestart: !values['no-postgres-restart'],
    keepLogs: values['keep-logs'],
  };
}

const RUN_START = Date.now();
const sinceStart = () => Date.now() - RUN_START;
const seconds = (ms: number) => Math.round(ms / 100) / 10;

function log(message: string): void {
  process.stderr.write(`[chaos +${seconds(sinceStart()).toFixed(1)}s] ${message}\n`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Thrown by a probe to stop waiting at once (the process being waited for died). */
class GiveUp extends Error {}

async function waitUntil(
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
  intervalMs = 300,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${timeoutMs} ms${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** Cleanup steps, run in reverse order of registration, once, whatever happened. */
class Cleanup {
  private steps: Array<{ name: string; fn: () => Promise<void> | void }> = [];
  private running: Promise<void> | undefined;
  stopping = false;

  add(name: string, fn: () => Promise<void> | void): void {
    this.steps.push({ name, fn });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      this.stopping = true;
      for (const step of this.steps.reverse()) {
        try {
          await step.fn();
        } catch (error) {
          log(`cleanup: ${step.name} failed: ${(error as Error).message}`);
        }
      }
    })();
    return this.running;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Receivers

type Answer = '200' | '500' | 'hang' | 'reset';

interface Receipt {
  /** Index of the receiver, which is also the index of the webhook it serves. */
  receiver: number;
  /** The webhook (our configuration) this receiver serves. */
  webhookId: string;
  /** The `webhook-id` header: a delivery id. */
  messageId: string | null;
  /** The `webhook-timestamp` header: the attempt's start, in Unix seconds. */
  timestamp: number | null;
  headers: http.IncomingHttpHeaders;
  body: string | null;
  eventId: string | null;
  /** What the receiver answered; `incomplete` when the request broke off before its body ended. */
  answer: Answer | 'incomplete';
  signature: 'valid' | 'invalid' | 'unchecked';
  signatureError?: string;
  /** ms since the run started. */
  at: number;
  phase: 'chaos' | 'calm';
}

interface ReceiverSet {
  urls: string[];
  receipts: Receipt[];
  mode: 'chaos' | 'calm';
  bind(index: number, webhookId: string, secret: string): void;
  close(): Promise<void>;
}

function chaosAnswer(): Answer {
  const r = Math.random();
  if (r < 0.3) return '500';
  if (r < 0.4) return 'hang';
  if (r < 0.45) return 'reset';
  return '200';
}

async function startReceivers(count: number): Promise<ReceiverSet> {
  const receipts: Receipt[] = [];
  const servers: http.Server[] = [];
  const hanging = new Set<http.ServerResponse>();
  const bindings: Array<{ webhookId: string; verifier: Webhook } | undefined> = [];
  const set: ReceiverSet = {
    urls: [],
    receipts,
    mode: 'chaos',
    bind(index, webhookId, secret) {
      bindings[index] = { webhookId, verifier: new Webhook(secret) };
    },
    async close() {
      for (const res of hanging) res.destroy();
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };

  for (let index = 0; index < count; index++) {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      let complete = false;
      const header = (name: string) => {
        const value = req.headers[name];
        return typeof value === 'string' ? value : null;
      };
      const base = () => {
        const timestamp = Number(header('webhook-timestamp'));
        return {
          receiver: index,
          webhookId: bindings[index]?.webhookId ?? '(unbound)',
          messageId: header('webhook-id'),
          timestamp: Number.isInteger(timestamp) ? timestamp : null,
          headers: req.headers,
          at: sinceStart(),
          phase: set.mode,
        };
      };
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('close', () => {
        if (!complete)
          receipts.push({ ...base(), body: null, eventId: null, answer: 'incomplete', signature: 'unchecked' });
      });
      req.on('end', () => {
        complete = true;
        const body = Buffer.concat(chunks).toString('utf8');
        const answer: Answer = set.mode === 'calm' ? '200' : chaosAnswer();
        let signature: Receipt['signature'] = 'invalid';
        let signatureError: string | undefined;
        const binding = bindings[index];
        try {
          if (!binding) throw new Error('no webhook bound to this receiver yet');
          binding.verifier.verify(body, req.headers as Record<string, string>);
          signature = 'valid';
        } catch (error) {
          signatureError = (error as Error).message;
        }
        let eventId: string | null = null;
        try {
          const parsed = JSON.parse(body) as { event_id?: unknown };
          if (typeof parsed.event_id === 'string') eventId = parsed.event_id;
        } catch {
          // Not JSON: the checks report the receipt as unknown.
        }
        receipts.push({ ...base(), body, eventId, answer, signature, ...(signatureError ? { signatureError } : {}) });
        switch (answer) {
          case '200':
            res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
            return;
          case '500':
            res.writeHead(500, { 'content-type': 'text/plain' }).end('chaos: server error');
            return;
          case 'hang': {
            hanging.add(res);
            const timer = setTimeout(() => res.destroy(), HANG_MS);
            res.on('close', () => {
              clearTimeout(timer);
              hanging.delete(res);
            });
            return;
          }
          case 'reset':
            // A TCP RST, not a clean close: what a crashing receiver or a middlebox does.
            req.socket.resetAndDestroy();
            return;
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    servers.push(server);
    set.urls.push(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook/${index}`);
  }
  return set;
}

// ---------------------------------------------------------------------------------------------------------------
// The Temporal dev server, started from the CLI so it can be restarted on the same SQLite file and port

/** The CLI's spelling of a search attribute type: KEYWORD_LIST -> KeywordList. */
function cliSearchAttributeType(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

class TemporalServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly address: string;
  /** Deaths nobody asked for. */
  unexpectedExits: Array<{ at: number; code: number | null; signal: string | null }> = [];
  private expectingExit = false;

  constructor(
    private readonly cli: string,
    private readonly port: number,
    private readonly dbFile: string,
    private readonly logFile: string,
  ) {
    this.address = `127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const args = [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--db-filename',
      this.dbFile,
      '--sqlite-pragma',
      'journal_mode=WAL',
      // AppId, EventType, ConversationId and whatever else the workflows set: the product's own list.
      ...ALL_SEARCH_ATTRIBUTES.flatMap((key) => [
        '--search-attribute',
        `${key.name}=${cliSearchAttributeType(key.type)}`,
      ]),
    ];
    const out = fs.openSync(this.logFile, 'a');
    // Its own process group: a Ctrl+C in the terminal does not reach it, and stopping the group stops any wrapper too.
    const child = spawn(this.cli, args, { detached: true, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.child = child;
    this.expectingExit = false;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (!this.expectingExit) this.unexpectedExits.push({ at: sinceStart(), code, signal });
        this.child = undefined;
        resolve();
      });
    });
    await waitUntil(`Temporal dev server on ${this.address}`, 60_000, async () => {
      if (!this.child) throw new GiveUp(`the dev server exited; see ${this.logFile}`);
      const connection = await Connection.connect({ address: this.address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return true;
      } finally {
        await connection.close();
      }
    });
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.expectingExit = true;
    const group = -child.pid;
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      return;
    }
    const stopped = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!stopped) {
      log(`Temporal dev server did not stop within ${timeoutMs} ms of SIGTERM; SIGKILL`);
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await this.exited;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The api and worker processes, run as operators run them, under a small supervisor

type Role = 'api' | 'worker';

class Service {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  private tail: string[] = [];
  unexpectedExits: Array<{ at: number; code: number | null; signal: string | null; tail: string }> = [];
  starts = 0;

  constructor(
    readonly role: Role,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
    private readonly cleanup: Cleanup,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
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

interface ChaosDatabase {
  kind: 'postgres' | 'pglite';
  url: string;
  /** DATABASE_URL itself (the server's maintenance database), for the restart and the final DROP. */
  serverUrl?: string;
  stop(): Promise<void>;
}

async function createDatabase(serverUrl: string | undefined): Promise<ChaosDatabase> {
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
async function findPostgresCluster(serverUrl: string): Promise<{ version: string; name: string } | { skip: string }> {
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

// ---------------------------------------------------------------------------------------------------------------
// The API, as a backend calls it

interface ApiAnswer {
  status: number;
  body: any;
}

async function apiCall(
  baseUrl: string,
  key: string,
  method: string,
  route: string,
  body?: unknown,
  timeoutMs = 20_000,
): Promise<ApiAnswer> {
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return { status: res.status, body: parsed };
}

interface SendStats {
  requests: number;
  accepted: number;
  duplicates: number;
  refused503: number;
  refused5xx: number;
  connectionErrors: number;
  /** Events whose sending ended without a 202 or a duplicate 200. */
  rejected: Array<{ eventId: string; status: number; body: unknown }>;
  maxTriesForOneEvent: number;
  done: number;
  outcomes: Map<string, 'accepted' | 'duplicate' | 'rejected'>;
}

function eventId(i: number): string {
  return `chaos_evt_${String(i).padStart(6, '0')}`;
}

function eventBody(i: number): Record<string, unknown> {
  return {
    id: eventId(i),
    type: 'message_sent',
    occurred_at: new Date(Date.UTC(2024, 0, 1, 12, 0, 0) + i * 1000).toISOString(),
    conversation_id: `conv_${i % 97}`,
    user: { id: `u_${i % 31}`, email: `user${i % 31}@example.com`, name: `User ${i % 31}`, logged_in: true },
    message: `Message number ${i}`,
    response: `Response number ${i}`,
  };
}

/** Sends every event, spread over `sendMs`, with at most `concurrency` in flight; retries refusals with the same id. */
async function sendEvents(opts: {
  apiUrl: string;
  key: string;
  appId: string;
  count: number;
  concurrency: number;
  sendMs: number;
  stats: SendStats;
  stopped: () => boolean;
}): Promise<void> {
  const { stats } = opts;
  const start = Date.now();
  let next = 0;
  const sendOne = async (i: number) => {
    const id = eventId(i);
    const body = eventBody(i);
    let tries = 0;
    const giveUpAt = Date.now() + 5 * 60_000;
    for (;;) {
      if (opts.stopped()) return;
      tries++;
      stats.maxTriesForOneEvent = Math.max(stats.maxTriesForOneEvent, tries);
      stats.requests++;
      let answer: ApiAnswer | undefined;
      try {
        answer = await apiCall(opts.apiUrl, opts.key, 'POST', `/v1/apps/${opts.appId}/events`, body, 15_000);
      } catch {
        stats.connectionErrors++;
      }
      if (answer?.status === 202) {
        stats.accepted++;
        stats.outcomes.set(id, 'accepted');
        return;
      }
      if (answer?.status === 200 && answer.body?.status === 'duplicate') {
        stats.duplicates++;
        stats.outcomes.set(id, 'duplicate');
        return;
      }
      if (answer && answer.status < 500) {
        stats.rejected.push({ eventId: id, status: answer.status, body: answer.body });
        stats.outcomes.set(id, 'rejected');
        return;
      }
      if (answer?.status === 503) stats.refused503++;
      else if (answer) stats.refused5xx++;
      if (Date.now() > giveUpAt) {
        stats.rejected.push({ eventId: id, status: answer?.status ?? 0, body: 'still refused after 5 minutes' });
        stats.outcomes.set(id, 'rejected');
        return;
      }
      await sleep(Math.min(250 * 2 ** Math.min(tries - 1, 3), 2_000));
    }
  };
  const lanes = Array.from({ length: opts.concurrency }, async () => {
    while (next < opts.count && !opts.stopped()) {
      const i = next++;
      await sleep(start + (i * opts.sendMs) / opts.count - Date.now());
      await sendOne(i);
      stats.done++;
    }
  });
  await Promise.all(lanes);
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

interface DeliveryRecord {
  id: string;
  webhook_id: string;
  event_id: string;
  status: string;
  attempt_count: number;
  is_test: boolean;
  condition_id: string;
}

interface AttemptRecord {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  status_code: number | null;
  error_class: string | null;
}

interface Straggler {
  workflowId: string;
  waitingFor: string;
}

interface Check {
  id: string;
  name: string;
  ok: boolean;
  detail: string;
}

interface Fault {
  kind: FaultKind;
  /** ms since the run started. */
  start: number;
  end: number;
  detail: string;
}

function sample<T>(items: T[], n = 5): string {
  return (
    items
      .slice(0, n)
      .map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
      .join('; ') + (items.length > n ? `; … (${items.length} in all)` : '')
  );
}

interface Analysis {
  checks: Check[];
  figures: {
    deliveries: number;
    attemptsRecorded: number;
    receipts: number;
    receiptsByAnswer: Record<string, number>;
    receiptsChaosPhase: number;
    receiptsCalmPhase: number;
    pairsReceivedMoreThanOnce: number;
    maxReceiptsForOnePair: number;
    pairsWith2xxMoreThanOnce: number;
    max2xxForOnePair: number;
    extraSends: number;
    extraSendsByFault: Record<string, number>;
    extraSendTimes: number[];
    lateAnswers: number;
    attemptsWithoutReceipt: number;
    deliveriesByStatus: Record<string, number>;
    maxAttemptsForOneDelivery: number;
    /** Deliveries with at least one request answered by the chaos-phase receivers. */
    deliveriesAttemptedDuringChaos: number;
  };
}

function analyse(input: {
  events: number;
  webhookIds: string[];
  appId: string;
  receipts: Receipt[];
  deliveries: DeliveryRecord[];
  attempts: AttemptRecord[];
  eventRows: number;
  sendStats: SendStats;
  faults: Fault[];
  workflows: { completed: number; running: number; other: number };
}): Analysis {
  const { receipts, deliveries, attempts, webhookIds } = input;
  const checks: Check[] = [];
  const add = (id: string, name: string, problems: unknown[], okDetail: string) =>
    checks.push({ id, name, ok: problems.length === 0, detail: problems.length === 0 ? okDetail : sample(problems) });

  const pairKey = (event: string, webhook: string) => `${event}|${webhook}`;
  const deliveryById = new Map(deliveries.map((d) => [d.id, d]));
  const deliveriesByPair = new Map<string, DeliveryRecord[]>();
  for (const d of deliveries) {
    const key = pairKey(d.event_id, d.webhook_id);
    deliveriesByPair.set(key, [...(deliveriesByPair.get(key) ?? []), d]);
  }
  const receiptsById = new Map<string, Receipt[]>();
  const receiptsByPair = new Map<string, Receipt[]>();
  for (const r of receipts) {
    if (r.messageId) receiptsById.set(r.messageId, [...(receiptsById.get(r.messageId) ?? []), r]);
    // An incomplete request has no body: its pair is its delivery's.
    const eventOf = r.eventId ?? (r.messageId ? deliveryById.get(r.messageId)?.event_id : undefined);
    if (eventOf) {
      const key = pairKey(eventOf, r.webhookId);
      receiptsByPair.set(key, [...(receiptsByPair.get(key) ?? []), r]);
    }
  }
  const expectedPairs: string[] = [];
  for (let i = 0; i < input.events; i++) for (const w of webhookIds) expectedPairs.push(pairKey(eventId(i), w));

  // (a) Every (event, webhook) pair reached its receiver with a 2xx answer at least once.
  add(
    'a',
    'every (event, webhook) pair got a 2xx-answered receipt',
    expectedPairs.filter((p) => !(receiptsByPair.get(p) ?? []).some((r) => r.answer === '200')),
    `${expectedPairs.length} pairs`,
  );

  // (b) No webhook-id the delivery log does not know, and each matches its receiver's webhook and its body's event.
  const bProblems: string[] = [];
  for (const r of receipts) {
    const d = r.messageId ? deliveryById.get(r.messageId) : undefined;
    if (!d) bProblems.push(`receiver ${r.receiver} got unknown webhook-id ${r.messageId}`);
    else if (d.webhook_id !== r.webhookId)
      bProblems.push(`${r.messageId} is a delivery to ${d.webhook_id} but reached ${r.webhookId}`);
    else if (r.eventId !== null && d.event_id !== r.eventId)
      bProblems.push(`${r.messageId} is for ${d.event_id} but carried ${r.eventId}`);
  }
  add(
    'b',
    'receivers saw only webhook-ids of the delivery log, each at its own webhook with its own event',
    bProblems,
    `${receipts.length} receipts`,
  );

  // (b2) Idempotency end to end: one delivery (one webhook-id) per pair, in the log and at the receivers.
  const b2Problems: string[] = [];
  for (const p of expectedPairs) {
    const n = deliveriesByPair.get(p)?.length ?? 0;
    if (n !== 1) b2Problems.push(`${p}: ${n} deliveries`);
    const ids = new Set((receiptsByPair.get(p) ?? []).map((r) => r.messageId));
    if (ids.size > 1) b2Problems.push(`${p}: ${ids.size} different webhook-ids received`);
  }
  if (deliveries.length !== expectedPairs.length)
    b2Problems.push(`${deliveries.length} deliveries in the log for ${expectedPairs.length} pairs`);
  add('b2', 'exactly one delivery (one webhook-id) per pair', b2Problems, `${deliveries.length} deliveries`);

  // (c) Signatures.
  const complete = receipts.filter((r) => r.answer !== 'incomplete');
  const incomplete = receipts.length - complete.length;
  add(
    'c',
    'every signature verified (standardwebhooks)',
    complete.filter((r) => r.signature !== 'valid').map((r) => `${r.messageId}: ${r.signatureError}`),
    `${complete.length} verified; ${incomplete} requests broke off before their body ended (nothing to verify)`,
  );

  // (d) The delivery log agrees with the receivers.
  const notSucceeded = deliveries.filter((d) => d.status !== 'succeeded');
  add(
    'd1',
    'every delivery ended succeeded (none pending or failed)',
    notSucceeded.map((d) => `${d.id}: ${d.status} after ${d.attempt_count}`),
    `${deliveries.length} succeeded`,
  );

  add(
    'd2',
    'every succeeded delivery had a 2xx answer recorded by its receiver for its webhook-id',
    deliveries
      .filter((d) => d.status === 'succeeded' && !(receiptsById.get(d.id) ?? []).some((r) => r.answer === '200'))
      .map((d) => d.id),
    'all',
  );

  const attemptsByDelivery = new Map<string, AttemptRecord[]>();
  for (const a of attempts)
    attemptsByDelivery.set(a.delivery_id, [...(attemptsByDelivery.get(a.delivery_id) ?? []), a]);
  const d3Problems: string[] = [];
  for (const d of deliveries) {
    const numbers = (attemptsByDelivery.get(d.id) ?? []).map((a) => a.attempt).sort((x, y) => x - y);
    const contiguous = numbers.length === d.attempt_count && numbers.every((n, i) => n === i + 1);
    if (!contiguous) d3Problems.push(`${d.id}: attempt_count ${d.attempt_count}, attempt rows [${numbers.join(',')}]`);
  }
  add(
    'd3',
    'attempt rows of each delivery are numbered 1..attempt_count',
    d3Problems,
    `${attempts.length} attempt rows`,
  );

  // Match each recorded attempt to the request it made: same webhook-id, same webhook-timestamp second (the attempt's
  // started_at), and for an HTTP answer the same status. An attempt that ended in a network error may have answered
  // late at the receiver (a slow 200 recorded as a timeout) or, rarely, never reached it.
  const d4Problems: string[] = [];
  let lateAnswers = 0;
  let attemptsWithoutReceipt = 0;
  const extras: Receipt[] = [];
  for (const d of deliveries) {
    const pool = [...(receiptsById.get(d.id) ?? [])];
    const used = new Set<Receipt>();
    const rows = [...(attemptsByDelivery.get(d.id) ?? [])].sort(
      (x, y) => Number(y.status_code !== null) - Number(x.status_code !== null),
    );
    for (const row of rows) {
      const second = Math.floor(row.started_at.getTime() / 1000);
      const candidates = pool.filter((r) => !used.has(r) && r.timestamp === second);
      let match: Receipt | undefined;
      if (row.status_code !== null) {
        match = candidates.find((r) => r.answer === String(row.status_code));
        if (!match) {
          d4Problems.push(
            `${d.id} attempt ${row.attempt}: HTTP ${row.status_code} at ${second} in the log, no such answer at the receiver`,
          );
          continue;
        }
      } else {
        match =
          candidates.find((r) => r.answer === 'hang' || r.answer === 'reset' || r.answer === 'incomplete') ??
          candidates[0];
        if (!match) {
          attemptsWithoutReceipt++;
          continue;
        }
        if (match.answer === '200' || match.answer === '500') lateAnswers++;
      }
      used.add(match);
    }
    for (const r of pool) if (!used.has(r)) extras.push(r);
  }
  add(
    'd4',
    'every attempt with an HTTP status in the log matches a receipt with that webhook-id, timestamp and answer',
    d4Problems,
    `${attempts.length} attempts matched distinct receipts, so receipts(id) >= attempt_count - ${attemptsWithoutReceipt} (network errors with no receipt)`,
  );

  // Receipts no attempt row accounts for: sends whose activity execution was retried (worker killed, database or
  // Temporal unreachable before the outcome was recorded and reported). At-least-once allows them, but only near a fault.
  const extraSendsByFault: Record<string, number> = {};
  const unexplained: string[] = [];
  for (const r of extras) {
    // The nearest fault whose window holds the send; a send before a fault is likelier its victim than one after.
    const distance = (f: Fault) => (r.at < f.start ? f.start - r.at : r.at > f.end ? 3 * (r.at - f.end) : 0);
    const fault = input.faults
      .filter((f) => r.at >= f.start - FAULT_WINDOW_BEFORE_MS && r.at <= f.end + FAULT_WINDOW_AFTER_MS)
      .sort((x, y) => distance(x) - distance(y))[0];
    if (fault) {
      const key = `${fault.kind}@${seconds(fault.start)}s`;
      extraSendsByFault[key] = (extraSendsByFault[key] ?? 0) + 1;
    } else {
      unexplained.push(`${r.messageId} at ${seconds(r.at)}s answered ${r.answer}`);
    }
  }
  add(
    'd5',
    'receipts beyond the recorded attempts (activity retries) all fall near a fault',
    unexplained,
    `${extras.length} extra sends, all within ${FAULT_WINDOW_BEFORE_MS / 1000}s before to ${FAULT_WINDOW_AFTER_MS / 1000}s after a fault`,
  );

  // (e) The API accepted every event, after retries.
  const eProblems: string[] = [];
  for (let i = 0; i < input.events; i++) {
    const outcome = input.sendStats.outcomes.get(eventId(i));
    if (outcome !== 'accepted' && outcome !== 'duplicate') eProblems.push(`${eventId(i)}: ${outcome ?? 'never sent'}`);
  }
  for (const r of input.sendStats.rejected)
    eProblems.push(`${r.eventId}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  if (input.eventRows !== input.events)
    eProblems.push(`the events table holds ${input.eventRows} of ${input.events} events`);
  add(
    'e',
    'the API accepted every event (202, or 200 duplicate after a retry) and recorded it',
    eProblems,
    `${input.events} events`,
  );

  // (f) Workflows.
  const w = input.workflows;
  const fProblems =
    w.completed === input.events && w.running === 0 && w.other === 0
      ? []
      : [
          `completed ${w.completed}, running ${w.running}, failed/terminated/timed out ${w.other}, expected ${input.events} completed`,
        ];
  add('f', 'every chat-event workflow completed', fProblems, `${w.completed} completed`);

  // Figures.
  const receiptsByAnswer: Record<string, number> = {};
  for (const r of receipts) receiptsByAnswer[r.answer] = (receiptsByAnswer[r.answer] ?? 0) + 1;
  let pairsReceivedMoreThanOnce = 0;
  let maxReceiptsForOnePair = 0;
  let pairsWith2xxMoreThanOnce = 0;
  let max2xxForOnePair = 0;
  for (const p of expectedPairs) {
    const got = receiptsByPair.get(p) ?? [];
    const ok = got.filter((r) => r.answer === '200').length;
    if (got.length > 1) pairsReceivedMoreThanOnce++;
    if (ok > 1) pairsWith2xxMoreThanOnce++;
    maxReceiptsForOnePair = Math.max(maxReceiptsForOnePair, got.length);
    max2xxForOnePair = Math.max(max2xxForOnePair, ok);
  }
  const deliveriesByStatus: Record<string, number> = {};
  for (const d of deliveries) deliveriesByStatus[d.status] = (deliveriesByStatus[d.status] ?? 0) + 1;
  return {
    checks,
    figures: {
      deliveries: deliveries.length,
      attemptsRecorded: attempts.length,
      receipts: receipts.length,
      receiptsByAnswer,
      receiptsChaosPhase: receipts.filter((r) => r.phase === 'chaos').length,
      receiptsCalmPhase: receipts.filter((r) => r.phase === 'calm').length,
      pairsReceivedMoreThanOnce,
      maxReceiptsForOnePair,
      pairsWith2xxMoreThanOnce,
      max2xxForOnePair,
      extraSends: extras.length,
      extraSendsByFault,
      extraSendTimes: extras.map((r) => seconds(r.at)).sort((x, y) => x - y),
      lateAnswers,
      attemptsWithoutReceipt,
      deliveriesByStatus,
      maxAttemptsForOneDelivery: deliveries.reduce((m, d) => Math.max(m, d.attempt_count), 0),
      deliveriesAttemptedDuringChaos: deliveries.filter((d) =>
        (receiptsById.get(d.id) ?? []).some((r) => r.phase === 'chaos'),
      ).length,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The run

async function run(opts: Options, cleanup: Cleanup): Promise<boolean> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-chaos-'));
  cleanup.add('temp folder', () => {
    if (opts.keepLogs) log(`logs kept in ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  });
  log(`${opts.events} events, ${opts.webhooks} webhooks, sending over ~${opts.sendSeconds}s; work folder ${tmp}`);

  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  if (!cli)
    throw new Error(`${TEMPORAL_CLI_INSTALL_HELP}\n(the chaos run needs the CLI itself: it restarts the server)`);

  // Setup: database, Temporal and the workflow bundle at once.
  const setupStart = Date.now();
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
      const server = new TemporalServer(
        cli,
        await freePortForChild(),
        path.join(tmp, 'temporal.db'),
        path.join(tmp, 'temporal.log'),
      );
      cleanup.add('Temporal dev server', () => server.stop());
      await server.start();
      return server;
    })(),
    (async () => {
      const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
      const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent as never });
      const file = path.join(tmp, 'workflow-bundle.js');
      fs.writeFileSync(file, bundle.code);
      return file;
    })(),
  ]);
  log(`database ready (${db.kind}), Temporal dev server on ${temporal.address}, workflows bundled`);

  const pool: Db = createPool(db.url, 3);
  cleanup.add('pool', () => pool.end());

  const receivers = await startReceivers(opts.webhooks);
  cleanup.add('receivers', () => receivers.close());

  const adminKey = `cwk_admin_chaos_${crypto.randomBytes(16).toString('hex')}`;
  const apiPort = await freePortForChild();
  const taskQueue = `chaos-${crypto.randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ADMIN_API_KEY: adminKey,
    SECRETS_KEY: generateSecretsKey(),
    PORT: String(apiPort),
    // The worker's own /metrics is not needed here, and its default port may be taken on a developer's machine.
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    ALLOW_HTTP_WEBHOOKS: 'true',
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS),
    RETRY_SCHEDULE,
    CONVERSATION_IDLE_TIMEOUT: '0',
    WORKFLOW_BUNDLE_PATH: bundlePath,
    SHUTDOWN_GRACE: '5s',
  };
  const api = new Service('api', env, path.join(tmp, 'api.log'), cleanup);
  const worker = new Service('worker', env, path.join(tmp, 'worker.log'), cleanup);
  cleanup.add('api and worker', async () => {
    await Promise.all([api.stop(), worker.stop()]);
  });
  await Promise.all([api.start(), worker.start()]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  log(`api on ${apiUrl} and worker on task queue ${taskQueue} are running`);

  // One app, one webhook per receiver.
  const app = await apiCall(apiUrl, adminKey, 'POST', '/v1/apps', { name: 'Chaos App' });
  if (app.status !== 201) throw new Error(`create app: HTTP ${app.status} ${JSON.stringify(app.body)}`);
  const appId = String(app.body.id);
  const webhookIds: string[] = [];
  for (let i = 0; i < opts.webhooks; i++) {
    const hook = await apiCall(apiUrl, adminKey, 'POST', `/v1/apps/${appId}/webhooks`, {
      url: receivers.urls[i],
      events: ['message_sent'],
      description: `chaos receiver ${i}`,
    });
    if (hook.status !== 201) throw new Error(`create webhook: HTTP ${hook.status} ${JSON.stringify(hook.body)}`);
    receivers.bind(i, String(hook.body.id), String(hook.body.secret));
    webhookIds.push(String(hook.body.id));
  }
  const setupMs = Date.now() - setupStart;
  log(`app ${appId} with ${webhookIds.length} webhooks; setup took ${seconds(setupMs)}s`);

  // Chaos phase: send, and inject faults as the sending progresses.
  const stats: SendStats = {
    requests: 0,
    accepted: 0,
    duplicates: 0,
    refused503: 0,
    refused5xx: 0,
    connectionErrors: 0,
    rejected: [],
    maxTriesForOneEvent: 0,
    done: 0,
    outcomes: new Map(),
  };
  const faults: Fault[] = [];
  let postgresRestart = 'not attempted';
  const sendStart = Date.now();
  let sendEnd = 0;
  const progress = setInterval(() => {
    log(
      `sent ${stats.done}/${opts.events} (refusals ${stats.refused503 + stats.refused5xx + stats.connectionErrors}), receipts ${receivers.receipts.length}`,
    );
  }, 10_000);
  cleanup.add('progress', () => clearInterval(progress));

  const sending = sendEvents({
    apiUrl,
    key: adminKey,
    appId,
    count: opts.events,
    concurrency: opts.concurrency,
    sendMs: opts.sendSeconds * 1000,
    stats,
    stopped: () => cleanup.stopping,
  }).then(() => {
    sendEnd = Date.now();
    if (!cleanup.stopping) log(`all ${opts.events} events sent in ${seconds(sendEnd - sendStart)}s`);
  });

  const faulting = (async () => {
    let lastEnd = 0;
    for (const step of FAULT_PLAN) {
      await waitUntil(
        `progress ${step.at}`,
        30 * 60_000,
        async () => cleanup.stopping || (stats.done >= step.at * opts.events && Date.now() - lastEnd >= FAULT_GAP_MS),
        200,
      );
      if (cleanup.stopping) return;
      const start = sinceStart();
      let detail = '';
      switch (step.kind) {
        case 'worker-kill': {
          const pid = worker.pid;
          await worker.kill();
          await sleep(RESTART_PAUSE_MS);
          await worker.start();
          detail = `SIGKILL pid ${pid}, restarted after ${RESTART_PAUSE_MS / 1000}s pause`;
          break;
        }
        case 'temporal-restart': {
          await temporal.stop();
          await sleep(RESTART_PAUSE_MS);
          await temporal.start();
          detail = `SIGTERM, restarted on the same SQLite file and port`;
          break;
        }
        case 'postgres-restart': {
          if (db.kind === 'pglite') {
            postgresRestart = 'skipped: embedded PGlite (no DATABASE_URL) runs inside this process';
            log(postgresRestart);
            continue;
          }
          if (!opts.postgresRestart) {
            postgresRestart = 'skipped: --no-postgres-restart';
            log(postgresRestart);
            continue;
          }
          const cluster = await findPostgresCluster(db.serverUrl!);
          if ('skip' in cluster) {
            postgresRestart = `skipped: ${cluster.skip}`;
            log(postgresRestart);
            continue;
          }
          try {
            await execFileAsync('pg_ctlcluster', [cluster.version, cluster.name, 'restart'], { timeout: 120_000 });
          } catch (error) {
            const message = ((error as { stderr?: string }).stderr || (error as Error).message).trim().split('\n')[0];
            // Never leave the server down.
            await execFileAsync('pg_ctlcluster', [cluster.version, cluster.name, 'start'], { timeout: 60_000 }).catch(
              () => undefined,
            );
            postgresRestart = `skipped: pg_ctlcluster ${cluster.version} ${cluster.name} restart failed: ${message}`;
            log(postgresRestart);
            continue;
          }
          await waitUntil('Postgres back', 60_000, async () => {
            await pool.query('SELECT 1');
            return true;
          });
          postgresRestart = `done: pg_ctlcluster ${cluster.version} ${cluster.name} restart`;
          detail = `pg_ctlcluster ${cluster.version} ${cluster.name} restart`;
          break;
        }
      }
      const end = sinceStart();
      lastEnd = Date.now();
      faults.push({ kind: step.kind, start, end, detail });
      log(`fault: ${step.kind} (${detail}) took ${seconds(end - start)}s`);
    }
  })();
  await Promise.all([sending, faulting]);
  clearInterval(progress);
  if (cleanup.stopping) throw new Error('interrupted');

  // Calm phase: every answer is 200; wait for every delivery and workflow to finish.
  receivers.mode = 'calm';
  const calmStart = Date.now();
  log('receivers now answer 200 to everything; waiting for the deliveries to finish');
  const connection = await Connection.connect({ address: temporal.address });
  cleanup.add('Temporal client', () => connection.close());
  const client = new Client({ connection });
  const countWorkflows = async (status?: string) =>
    (
      await client.workflow.count(
        `WorkflowType = 'chatEventWorkflow' AND AppId = '${appId}'${status ? ` AND ExecutionStatus = '${status}'` : ''}`,
      )
    ).count;
  const expectedDeliveries = opts.events * opts.webhooks;
  let lastReport = 0;
  let drained = true;
  // Workflows still running after every delivery finished: what they wait for, described once.
  let deliveredAt = 0;
  const stragglers: Straggler[] = [];
  const describeStragglers = async () => {
    const query = `WorkflowType = 'chatEventWorkflow' AND AppId = '${appId}' AND ExecutionStatus = 'Running'`;
    for await (const execution of client.workflow.list({ query })) {
      if (stragglers.length >= 5) break;
      const described = await client.workflow.getHandle(execution.workflowId).describe();
      const waitingFor = (described.raw.pendingActivities ?? []).map((a) => {
        const started = a.lastStartedTime?.seconds ? Number(a.lastStartedTime.seconds) * 1000 : null;
        return `${a.activityType?.name ?? '?'} (attempt ${a.attempt ?? '?'}, state ${a.state ?? '?'}${started ? `, started ${seconds(started - RUN_START)}s` : ''})`;
      });
      stragglers.push({
        workflowId: execution.workflowId,
        waitingFor: waitingFor.length ? waitingFor.join(', ') : 'no pending activity (timer or workflow task)',
      });
    }
    for (const s of stragglers)
      log(`still running after every delivery finished: ${s.workflowId} waits for ${s.waitingFor}`);
  };
  try {
    await waitUntil(
      'every delivery finished and every workflow closed',
      opts.drainTimeoutMs,
      async () => {
        const { rows } = await pool.query<{ total: number; pending: number }>(
          `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'pending')::int AS pending FROM deliveries WHERE app_id = $1`,
          [appId],
        );
        const { total, pending } = rows[0]!;
        const running = await countWorkflows('Running');
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          log(
            `drain: ${total}/${expectedDeliveries} deliveries created, ${pending} pending, ${running} workflows running`,
          );
        }
        if (total >= expectedDeliveries && pending === 0 && running > 0) {
          deliveredAt ||= Date.now();
          if (Date.now() - deliveredAt > 15_000 && stragglers.length === 0)
            await describeStragglers().catch((error) => log(`describe: ${(error as Error).message}`));
        }
        return total >= expectedDeliveries && pending === 0 && running === 0;
      },
      1_000,
    );
  } catch (error) {
    drained = false;
    log((error as Error).message);
  }
  const drainEnd = Date.now();
  log(`drain took ${seconds(drainEnd - calmStart)}s`);

  // Gather and check.
  const deliveries = (
    await pool.query<DeliveryRecord>(
      'SELECT id, webhook_id, event_id, status, attempt_count, is_test, condition_id FROM deliveries WHERE app_id = $1',
      [appId],
    )
  ).rows;
  const attempts = (
    await pool.query<AttemptRecord>(
      `SELECT a.delivery_id, a.attempt, a.started_at, a.status_code, a.error_class
       FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.app_id = $1`,
      [appId],
    )
  ).rows;
  const eventRows = (
    await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE app_id = $1', [appId])
  ).rows[0]!.n;
  const total = await countWorkflows();
  const completed = await countWorkflows('Completed');
  const running = await countWorkflows('Running');
  const analysis = analyse({
    events: opts.events,
    webhookIds,
    appId,
    receipts: receivers.receipts,
    deliveries,
    attempts,
    eventRows,
    sendStats: stats,
    faults,
    workflows: { completed, running, other: total - completed - running },
  });
  if (!drained)
    analysis.checks.unshift({
      id: 'drain',
      name: 'everything finished within the drain timeout',
      ok: false,
      detail: `${seconds(opts.drainTimeoutMs)}s`,
    });

  const unexpectedExits = [
    ...api.unexpectedExits.map((e) => ({ process: 'api', ...e })),
    ...worker.unexpectedExits.map((e) => ({ process: 'worker', ...e })),
    ...temporal.unexpectedExits.map((e) => ({ process: 'temporal', ...e, tail: '' })),
  ];
  const ok = analysis.checks.every((c) => c.ok);
  const f = analysis.figures;
  const totalMs = Date.now() - RUN_START;
  const refusals = stats.refused503 + stats.refused5xx + stats.connectionErrors;
  const summary = {
    ok,
    events: opts.events,
    webhooks: opts.webhooks,
    database: db.kind,
    postgres_restart: postgresRestart,
    checks: analysis.checks,
    faults: faults.map((x) => ({
      kind: x.kind,
      at_s: seconds(x.start),
      duration_s: seconds(x.end - x.start),
      detail: x.detail,
    })),
    all_delivered_before_workflows_closed_s: deliveredAt ? seconds(drainEnd - deliveredAt) : 0,
    stragglers,
    unexpected_exits: unexpectedExits.map((e) => ({
      process: e.process,
      at_s: seconds(e.at),
      code: e.code,
      signal: e.signal,
    })),
    api: {
      requests: stats.requests,
      accepted_202: stats.accepted,
      duplicate_200: stats.duplicates,
      refusals,
      refused_503: stats.refused503,
      refused_other_5xx: stats.refused5xx,
      connection_errors: stats.connectionErrors,
      max_tries_for_one_event: stats.maxTriesForOneEvent,
    },
    figures: f,
    elapsed_s: {
      setup: seconds(setupMs),
      sending: seconds((sendEnd || drainEnd) - sendStart),
      chaos_phase: seconds(calmStart - sendStart),
      drain: seconds(drainEnd - calmStart),
      first_send_to_all_delivered: seconds(drainEnd - sendStart),
      total: seconds(totalMs),
    },
    events_per_s: Math.round((opts.events / ((drainEnd - sendStart) / 1000)) * 10) / 10,
    settings: {
      delivery_timeout_ms: DELIVERY_TIMEOUT_MS,
      retry_schedule: `40 x 1s (41 attempts)`,
      concurrency: opts.concurrency,
      send_seconds: opts.sendSeconds,
    },
  };

  // The report.
  const rows: Array<[string, string]> = [
    ['Database', db.kind === 'postgres' ? 'real Postgres (fresh database on DATABASE_URL)' : 'embedded PGlite'],
    ['Events sent / webhooks', `${opts.events} / ${opts.webhooks}`],
    ['Deliveries (log) / by status', `${f.deliveries} / ${JSON.stringify(f.deliveriesByStatus)}`],
    ['Faults', faults.map((x) => `${x.kind} @${seconds(x.start)}s (${seconds(x.end - x.start)}s)`).join(', ')],
    ['Postgres restart', postgresRestart],
    [
      'Unexpected process exits',
      unexpectedExits.length === 0
        ? 'none'
        : unexpectedExits.map((e) => `${e.process} @${seconds(e.at)}s code ${e.code} signal ${e.signal}`).join(', '),
    ],
    ['API requests / 202 / 200 duplicate', `${stats.requests} / ${stats.accepted} / ${stats.duplicates}`],
    [
      'API refusals (503 / other 5xx / connection)',
      `${refusals} (${stats.refused503} / ${stats.refused5xx} / ${stats.connectionErrors}); max tries for one event ${stats.maxTriesForOneEvent}`,
    ],
    ['Receipts at receivers (chaos / calm phase)', `${f.receipts} (${f.receiptsChaosPhase} / ${f.receiptsCalmPhase})`],
    ['Receipts by answer', JSON.stringify(f.receiptsByAnswer)],
    [
      'Deliveries attempted at least once during the chaos phase',
      `${f.deliveriesAttemptedDuringChaos} of ${f.deliveries}`,
    ],
    ['Attempts in the delivery log', `${f.attemptsRecorded}; max for one delivery ${f.maxAttemptsForOneDelivery}`],
    [
      'Pairs received more than once (any answer) / max receipts for one pair',
      `${f.pairsReceivedMoreThanOnce} / ${f.maxReceiptsForOnePair}`,
    ],
    [
      'Pairs answered 2xx more than once (duplicates) / max 2xx for one pair',
      `${f.pairsWith2xxMoreThanOnce} / ${f.max2xxForOnePair}`,
    ],
    [
      'Extra sends (activity retries, no attempt row) by fault',
      `${f.extraSends} ${JSON.stringify(f.extraSendsByFault)}`,
    ],
    [
      'Attempts logged as network errors whose answer came late / never arrived',
      `${f.lateAnswers} / ${f.attemptsWithoutReceipt}`,
    ],
    [
      'Workflows still running after every delivery finished',
      stragglers.length === 0
        ? 'none'
        : `${seconds(drainEnd - deliveredAt)}s until closed; ${stragglers.map((x) => `${x.workflowId.split(':').pop()} waited for ${x.waitingFor}`).join('; ')}`,
    ],
    [
      'Elapsed: setup / sending / chaos phase / drain / total',
      `${summary.elapsed_s.setup}s / ${summary.elapsed_s.sending}s / ${summary.elapsed_s.chaos_phase}s / ${summary.elapsed_s.drain}s / ${summary.elapsed_s.total}s`,
    ],
    ['Events/s (first send to all delivered)', String(summary.events_per_s)],
  ];
  const lines = [
    '',
    '## Chaos run',
    '',
    '| Metric | Value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v.replaceAll('|', '\\|')} |`),
    '',
  ];
  lines.push('| Check | Result | Detail |', '|---|---|---|');
  for (const c of analysis.checks)
    lines.push(`| (${c.id}) ${c.name} | ${c.ok ? 'PASS' : '**FAIL**'} | ${c.detail.replaceAll('|', '\\|')} |`);
  lines.push('', ok ? 'All checks passed.' : 'SOME CHECKS FAILED.', '');
  process.stdout.write(lines.join('\n') + '\n');
  if (!ok || unexpectedExits.length > 0) {
    for (const service of [api, worker]) {
      process.stderr.write(`--- last output of ${service.role} ---\n${service.outputTail()}\n`);
    }
    for (const e of unexpectedExits)
      if (e.tail) process.stderr.write(`--- ${e.process} before its unexpected exit ---\n${e.tail}\n`);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  return ok;
}

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let ok = false;
  try {
    ok = await run(opts, cleanup);
  } catch (error) {
    if (cleanup.stopping) return; // Interrupted: the signal handler cleans up and exits.
    process.stderr.write(`chaos run failed: ${(error as Error).stack ?? error}\n`);
    if (opts.json)
      process.stdout.write(
        `${JSON.stringify({ ok: false, events: opts.events, webhooks: opts.webhooks, error: (error as Error).message })}\n`,
      );
  } finally {
    await cleanup.run();
  }
  process.exit(ok ? 0 : 1);
}

void main();
