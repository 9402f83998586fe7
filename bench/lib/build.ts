/**
 * What the systems run besides their sources: workflow bundles written before any worker starts (as the Docker image
 * ships one), and the production build's JavaScript for the compiled-runtime comparison.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { bundleWorkflowCode } from '@temporalio/worker';

import { nowMs } from './common';
import { BENCH_DIR, PACKAGE_ROOT } from './procs';

export interface CompiledBuild {
  /** The compiled src/cli.js; undefined when tsc failed. */
  cli?: string;
  ms: number;
  error?: string;
}

/**
 * Compiled into node_modules/.cache, so that dist/ is left alone and the package root and node_modules still resolve
 * from it. One folder per run: two benchmarks (say, the test suite's and a manual one) may run at once.
 */
export function compiledBuildDir(): string {
  return path.join(
    PACKAGE_ROOT,
    'node_modules',
    '.cache',
    'chat-webhooks-bench',
    `${process.pid}-${crypto.randomBytes(3).toString('hex')}`,
  );
}

/** The compiled CLI inside a build, where bin/chat-webhooks.js looks for it in the production image. */
const COMPILED_CLI = path.join('src', 'cli', 'index.js');

export async function compileBuild(runDir: string): Promise<CompiledBuild> {
  const t0 = nowMs();
  const outDir = path.join(runDir, 'dist');
  const tsc = path.join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], {
      cwd: PACKAGE_ROOT,
    });
    const cli = path.join(outDir, COMPILED_CLI);
    // A moved entry point would otherwise fail only when the variant's worker starts, and take the run with it.
    if (!fs.existsSync(cli)) return { ms: nowMs() - t0, error: `the build has no dist/${COMPILED_CLI}` };
    return { cli, ms: nowMs() - t0 };
  } catch (error) {
    return { ms: nowMs() - t0, error: (error as Error).message.split('\n')[0] };
  }
}

export function removeCompiledBuild(runDir: string): void {
  fs.rmSync(runDir, { recursive: true, force: true });
  try {
    fs.rmdirSync(path.dirname(runDir));
  } catch {
    // Another run still uses the shared parent.
  }
}

/** Bundles `workflowsPath` into `file`; `stubZod` swaps zod for bench/workflows/zod-stub.ts. Returns the ms it took. */
export async function writeBundle(
  workflowsPath: string,
  file: string,
  opts: { stubZod?: boolean } = {},
): Promise<number> {
  const t0 = nowMs();
  const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const zodStub = path.join(BENCH_DIR, 'workflows', 'zod-stub.ts');
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    logger: silent as never,
    ...(opts.stubZod
      ? {
          webpackConfigHook: (config) => ({
            ...config,
            resolve: { ...config.resolve, alias: { ...(config.resolve?.alias as object), zod$: zodStub } },
          }),
        }
      : {}),
  });
  fs.writeFileSync(file, code);
  return nowMs() - t0;
}
