#!/usr/bin/env node
/**
 * `chat-webhooks <command>`:
 *
 *   dev       everything in one process: Temporal dev server, embedded Postgres (unless DATABASE_URL), migrations,
 *             worker and API. What `npm start` runs.
 *   api       the HTTP API (production; run any number)
 *   worker    the Temporal worker (production; run any number)
 *   migrate   apply database migrations, then exit (production: run before api and worker)
 *   receiver  a local webhook receiver that prints and verifies what it gets
 *   try-condition  judge one custom condition against a transcript with the configured LLM
 *   replay    send a stored delivery again (through the API)
 *   recover   send again a webhook's failed and skipped deliveries in a window (through the API)
 *   build-id  the build id this release's workers poll as (Worker Versioning)
 *
 * Serving commands are in serve.ts, operator tools in tools.ts; both build real dependencies through
 * src/composition.ts.
 */
import { ConfigError } from '../config';
import { TemporalConnectError } from '../temporal/connection-options';
import { runApi, runDev, runMigrate, runWorker } from './serve';
import { runBuildId, runReceiver, runRecover, runReplay, runTryCondition } from './tools';

const USAGE = 'usage: chat-webhooks <dev|api|worker|migrate|receiver|try-condition|replay|recover|build-id> [options]';

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const commands: Record<string, () => Promise<void>> = {
    dev: () => runDev(process.env),
    api: () => runApi(process.env),
    worker: () => runWorker(process.env),
    migrate: () => runMigrate(process.env),
    receiver: () => runReceiver(rest),
    'try-condition': () => runTryCondition(rest),
    replay: () => runReplay(rest),
    recover: () => runRecover(rest),
    'build-id': () => runBuildId(),
  };
  const run = command ? commands[command] : undefined;
  if (!run) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  try {
    await run();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    if (error instanceof TemporalConnectError) {
      process.stderr.write(`chat-webhooks ${command}: ${error.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`chat-webhooks ${command} failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv.slice(2));
