/** Logging, waiting and cleanup shared by every part of the chaos run. */

/** Every time in the run's records and report is ms since this moment. */
export const RUN_START = Date.now();
export const sinceStart = () => Date.now() - RUN_START;
export const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** Progress goes to stderr: stdout carries only the report (and the JSON summary). */
export function log(message: string): void {
  process.stderr.write(`[chaos +${seconds(sinceStart()).toFixed(1)}s] ${message}\n`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Thrown by a probe to stop waiting at once (the process being waited for died). */
export class GiveUp extends Error {}

export async function waitUntil(
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
export class Cleanup {
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
