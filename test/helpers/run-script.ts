/**
 * Runs one of the project's scripts (chaos, bench) as a child process with only the environment it needs, and stops it
 * before the calling test's own timeout: SIGINT first, so it can stop what it started, then SIGKILL.
 */
import { spawn } from 'node:child_process';

import { PACKAGE_ROOT } from '../../src/package-root';

/** PATH (node, npm, the Temporal CLI), HOME and PYENV_ROOT (pyenv shims), the database and the CLI override. */
export function scriptEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  for (const name of ['HOME', 'PYENV_ROOT', 'DATABASE_URL', 'TEMPORAL_CLI_PATH']) {
    if (process.env[name]) env[name] = process.env[name];
  }
  return env;
}

export async function runScript(
  command: string,
  args: string[],
  testTimeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: PACKAGE_ROOT, env: scriptEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const interrupt = setTimeout(() => child.kill('SIGINT'), testTimeoutMs - 45_000);
  const kill = setTimeout(() => child.kill('SIGKILL'), testTimeoutMs - 10_000);
  const code = await exited;
  clearTimeout(interrupt);
  clearTimeout(kill);
  return { code, stdout, stderr };
}
