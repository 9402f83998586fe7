/**
 * One child process of the production stack (Postgres, the Temporal server, the UI server, an api or a worker) under a
 * small supervisor: started and waited for until ready, killed or stopped on purpose, restarted, and (for the
 * chat-webhooks processes) restarted after a crash as an init system would. Its output goes to a log file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';

export interface StackProcessSpec {
  /** A name for logs and errors: "postgres", "temporal", "api-1", "worker-2". */
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
  /** Ready when this returns true; it sees the output so far. Throwing stops the wait. */
  ready: (output: string) => boolean | Promise<boolean>;
  readyTimeoutMs?: number;
  /** Signal for a clean stop (default SIGTERM; Postgres' fast shutdown is SIGINT). */
  stopSignal?: NodeJS.Signals;
  /** Restart after an exit nobody asked for, once it had been ready (api and worker). */
  restartOnCrash?: boolean;
  /** Told about every exit nobody asked for. */
  onUnexpectedExit?: (exit: UnexpectedExit) => void;
}

export interface UnexpectedExit {
  process: string;
  at: Date;
  code: number | null;
  signal: string | null;
  tail: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class StackProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  private closed = false;
  private tail: string[] = [];
  private output = '';
  readonly unexpectedExits: UnexpectedExit[] = [];
  /** How many times it was started (1 + restarts). */
  starts = 0;

  constructor(private readonly spec: StackProcessSpec) {}

  get name(): string {
    return this.spec.name;
  }
  get logFile(): string {
    return this.spec.logFile;
  }
  /** undefined while it is not running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get running(): boolean {
    return this.child !== undefined;
  }
  /** The last lines it printed, for errors. */
  outputTail(): string {
    return this.tail.join('');
  }
  /** Everything it printed since its last start (up to 2 MB). */
  currentOutput(): string {
    return this.output;
  }

  /** Spawns it and waits until it is ready; fails (and kills it) when it exits first or the wait times out. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    this.expectingExit = false;
    this.output = '';
    const file = fs.createWriteStream(this.spec.logFile, { flags: 'a' });
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      file.write(text);
      if (this.output.length < 2_000_000) this.output += text;
      this.tail.push(text);
      if (this.tail.length > 40) this.tail.shift();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    let ready = false;
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    this.exited = new Promise<void>((resolve) => {
      child.once('close', (code, signal) => {
        file.end();
        if (this.child === child) this.child = undefined;
        if (ready && !this.expectingExit && !this.closed) {
          const exit = {
            process: this.name,
            at: new Date(),
            code,
            signal,
            tail: this.outputTail().slice(-4000),
          };
          this.unexpectedExits.push(exit);
          this.spec.onUnexpectedExit?.(exit);
          if (this.spec.restartOnCrash) void this.restartAfterCrash();
        }
        resolve();
      });
    });
    const deadline = Date.now() + (this.spec.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (spawnError) throw new Error(`${this.name}: could not start ${this.spec.command}: ${spawnError.message}`);
      if (this.child !== child)
        throw new Error(`${this.name} exited before it was ready:\n${this.outputTail().slice(-4000)}`);
      let isReady: boolean;
      try {
        isReady = await this.spec.ready(this.output);
      } catch {
        isReady = false;
      }
      if (isReady) break;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await this.exited;
        throw new Error(
          `${this.name} not ready within ${this.spec.readyTimeoutMs ?? 60_000} ms:\n${this.outputTail().slice(-4000)}`,
        );
      }
      await sleep(150);
    }
    ready = true;
  }

  private async restartAfterCrash(): Promise<void> {
    for (let tries = 0; tries < 30 && !this.closed; tries++) {
      await sleep(1_000);
      if (this.closed || this.child) return;
      try {
        await this.start();
        return;
      } catch {
        // Tried again a second later, as a supervisor would.
      }
    }
  }

  /** SIGKILL (or another signal) and wait for the exit: no shutdown, what an OOM killer or a lost machine does. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) throw new Error(`${this.name} is not running`);
    this.expectingExit = true;
    child.kill(signal);
    await this.exited;
  }

  /** A clean stop (its stop signal), then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.expectingExit = true;
    child.kill(this.spec.stopSignal ?? 'SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** A clean stop, then a start; `pauseMs` between them. */
  async restart(pauseMs = 0): Promise<void> {
    await this.stop();
    if (pauseMs) await sleep(pauseMs);
    await this.start();
  }

  /** Stops it for good: no crash restarts from here on. */
  async close(graceMs?: number): Promise<void> {
    this.closed = true;
    await this.stop(graceMs);
  }
}
