/**
 * `npm run chaos`: a chaos run of the production processes. It proves that no event is lost and every delivery is
 * signed and logged truthfully while the worker is SIGKILLed, the Temporal server restarts and Postgres restarts.
 *
 *   npm run chaos                          2000 events, 3 webhooks
 *   npm run chaos -- --events 200          (or --quick) the size the test suite runs
 *   npm run chaos -- --json                a machine-readable summary as the last line of stdout
 *   npm run chaos -- --stack production    on `npm run stack`'s topology (Temporal server on Postgres, 2 api, 2 worker)
 *
 * Other flags: --webhooks N (default 3), --concurrency N (events in flight, default 8), --send-seconds S (how long
 * sending is spread over), --drain-timeout S, --no-postgres-restart, --keep-logs (keep the processes' logs).
 *
 * What it runs, all started and cleaned up here:
 * - its own Temporal dev server (`temporal server start-dev` with a SQLite file in a temp folder, through the project's
 *   launcher), so it can restart it on the same file and port;
 * - a fresh database `chaos_<random>` on DATABASE_URL's server, or an embedded PGlite when DATABASE_URL is unset (then
 *   there is no Postgres restart);
 * - `chat-webhooks migrate` (in-process), then `chat-webhooks api` and `chat-webhooks worker` as separate processes,
 *   with production environment only;
 * - one HTTP receiver per webhook on 127.0.0.1:0 (the project's recording receiver). During the chaos phase each
 *   request is answered at random: 30% 500, 10% hang past the delivery timeout, 5% connection reset, the rest 200.
 *   Every request is recorded and its signature checked with the standardwebhooks library.
 *
 * With `--stack production` (scripts/chaos/stacks.ts) it runs instead on support/production-stack.ts: its own Postgres
 * cluster (Temporal's databases and ours), the Temporal server built from its Go module, two api and two worker
 * processes from the production build; the sender alternates between the apis and sends a refused event to the other.
 *
 * While the events are sent (same event id again after any refusal), the worker is SIGKILLed 3 times, the Temporal
 * server restarted once and Postgres restarted once (`pg_ctlcluster`; the production stack's own cluster by a fast
 * shutdown and start), and on the production stack one api process is SIGKILLed for 10 s while the other takes the load. Then the receivers answer 200 to everything, the
 * run waits until no delivery is pending and every chat-event workflow is closed, and checks the receivers' records
 * against the delivery log. Progress goes to stderr; the report (a markdown table) to stdout. Exit code 1 when a check
 * fails.
 *
 * The parts live in scripts/chaos/: options, receivers, stack (Temporal, api and worker, database), load (the
 * sender), faults, drain, analysis (the checks), report, and run (which ties them together).
 */
import { Cleanup, log } from './chaos/common';
import { type Options, parseOptions, USAGE, UsageError } from './chaos/options';
import { run } from './chaos/run';

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let ok = false;
  try {
    ok = await run(opts, cleanup);
  } catch (error) {
    if (cleanup.stopping) return; // Interrupted: the signal handler cleans up and exits.
    process.stderr.write(`chaos run failed: ${(error as Error).stack ?? error}\n`);
    if (opts.json)
      process.stdout.write(
        `${JSON.stringify({ ok: false, events: opts.events, webhooks: opts.webhooks, error: (error as Error).message })}\n`,
      );
  } finally {
    await cleanup.run();
  }
  process.exit(ok ? 0 : 1);
}

void main();
