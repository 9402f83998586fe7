/**
 * What a results file records about the run itself: the code (git), the machine, and how busy it was before the
 * benchmark started anything.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

import { round, sleep } from './common';
import { PACKAGE_ROOT } from './procs';

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

export function gitSha(): string {
  return git(['rev-parse', '--short', 'HEAD']) || 'nogit';
}

/** Whether tracked files differ from HEAD: then the results' sha names code that is not what ran. */
export function gitDirty(): boolean | undefined {
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return status === undefined ? undefined : status !== '';
}

export function machine(): { cpu: string; cores: number; memoryGb: number; node: string; os: string } {
  let osName = os.type();
  try {
    osName = /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    // No os-release: os.type() says enough.
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    os: osName,
  };
}

/** Share of the machine's CPU time that was busy over `ms`, from /proc/stat: is anything else running? */
export async function machineBusy(ms: number): Promise<number> {
  const read = () => {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3]! + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  try {
    const a = read();
    await sleep(ms);
    const b = read();
    return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
  } catch {
    return Number.NaN;
  }
}

/** The command as typed, without --out (a local folder says nothing about the figures). */
export function commandLine(argv: string[]): string {
  const kept = argv.filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out');
  return kept.length ? `npm run bench -- ${kept.join(' ')}` : 'npm run bench';
}
