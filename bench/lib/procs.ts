/**
 * Child processes of the benchmark, and what /proc says about their CPU time and memory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { sleep } from './common';

export const BENCH_DIR = path.resolve(__dirname, '..');
export const PACKAGE_ROOT = path.resolve(BENCH_DIR, '..');
const CLK_TCK = 100;

export interface Child {
  name: string;
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  output(): string;
  /** Resolves with the first stdout line that parses as JSON and has `ready`. */
  ready(timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(timeoutMs?: number): Promise<void>;
}

/** Spawns `node [nodeArgs] script [args]`; TypeScript scripts run through tsx, as bin/chat-webhooks.js does. */
export function startNode(
  name: string,
  script: string,
  opts: { args?: string[]; env: NodeJS.ProcessEnv; nodeArgs?: string[]; ipc?: boolean },
): Child {
  const nodeArgs = [...(opts.nodeArgs ?? []), ...(script.endsWith('.ts') ? ['--import', 'tsx'] : [])];
  const child = spawn(process.execPath, [...nodeArgs, script, ...(opts.args ?? [])], {
    cwd: PACKAGE_ROOT,
    env: opts.env,
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  // Keep the tail of the output for error messages; children log little (LOG_LEVEL=warn).
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    if (out.length > 64_000) out = out.slice(-32_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  const handle: Child = {
    name,
    child,
    pid: child.pid!,
    exited,
    output: () => out,
    ready(timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        let buffer = '';
        const timer = setTimeout(
          () => reject(new Error(`${name}: not ready within ${timeoutMs} ms:\n${out.slice(-4000)}`)),
          timeoutMs,
        );
        const onData = (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          let nl;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line.startsWith('{')) continue;
            try {
              const msg = JSON.parse(line);
              if (msg.ready) {
                clearTimeout(timer);
                child.stdout!.off('data', onData);
                resolve(msg);
                return;
              }
            } catch {
              // a log line, not ours
            }
          }
        };
        child.stdout!.on('data', onData);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code}) before it was ready:\n${out.slice(-4000)}`));
        });
      });
    },
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  return handle;
}

export interface ProcSample {
  /** user + system CPU seconds, of the process and (for a parent that reaps them) its waited-for children */
  cpuS: number;
  /** peak resident set (VmHWM), MB */
  peakRssMb: number;
}

export function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces, start at field 3: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { cpuS: ticks / CLK_TCK, peakRssMb: hwm ? Number(hwm[1]) / 1024 : 0 };
  } catch {
    return undefined;
  }
}

/** Every process named `comm` (Postgres: the postmaster and its backends). */
export function findByComm(comm: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === comm) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** A process and its children (the stack's postmaster and its backends): read from /proc's parent ids. */
export function withChildren(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const found = [pid];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** CPU seconds of each process of a group (which may change: Postgres backends come and go). */
export function groupCpu(pids: number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, readProc(pid)?.cpuS ?? 0]));
}

/** CPU seconds a group used between two samples: processes that ended meanwhile are left out, new ones count whole. */
export function groupCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of after) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}
