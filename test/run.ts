/**
 * `npm test`: starts what every test file shares — one in-memory Temporal dev server and one prebuilt workflow
 * bundle — then runs the files with node's test runner. Each file makes its own database, task queue and ids.
 *
 *   npm test                                   every file under test/
 *   npm test -- test/integration/x.test.ts     only the files named
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { bundleWorkflowCode } from '@temporalio/worker';

import { startDevServer } from '../src/temporal/dev-server';
import { WORKFLOWS_PATH } from '../src/temporal/worker';

function testFiles(args: string[]): string[] {
  if (args.length > 0) return args;
  const root = path.join(__dirname);
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join('test', f))
    .sort();
}

async function main(): Promise<number> {
  const files = testFiles(process.argv.slice(2));
  process.stdout.write(`Starting a Temporal dev server and bundling workflows for ${files.length} test files...\n`);
  const [server, bundle] = await Promise.all([
    startDevServer({ namespace: 'default', cliPath: process.env.TEMPORAL_CLI_PATH }),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never,
    }),
  ]);
  const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-test-'));
  const bundlePath = path.join(bundleDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=2',
      // A safety net: a test that hangs fails after 10 minutes instead of holding CI to its limit.
      '--test-timeout=600000',
      '--test-reporter=spec',
      ...files,
    ],
    {
      stdio: 'inherit',
      env: { ...process.env, TEST_TEMPORAL_ADDRESS: server.address, WORKFLOW_BUNDLE_PATH: bundlePath },
    },
  );
  // A Ctrl+C or a cancelled CI job stops the test files and the dev server too (it runs in its own process group).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      child.kill(signal);
      void server.stop(5_000).finally(() => process.exit(130));
    });
  }
  const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  await server.stop();
  fs.rmSync(bundleDir, { recursive: true, force: true });
  return code;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
