/** The command line, and the service settings every part of the run relies on. */
import { parseArgs } from 'node:util';

/** The time one delivery attempt may take (DELIVERY_TIMEOUT_MS). Hanging answers outlast it. */
export const DELIVERY_TIMEOUT_MS = 2_000;
/**
 * RETRY_SCHEDULE: 40 delays of 1 s, so 41 attempts. No delivery may exhaust its schedule during the chaos phase:
 * receivers fail ~45% of attempts at random (more when a loaded machine turns slow 200s into timeouts), so a delivery
 * fails all of its attempts with probability 0.45^41 ≈ 6e-15 (0.6^41 ≈ 8e-10 at 60% failures); over 6000 deliveries
 * that stays far below 1e-5. Outages use up no attempts: a dead worker makes none, an unreachable Postgres fails the
 * activity (retried by Temporal with the same attempt number) before or after the send, never as a new attempt.
 * Short delays keep the drain short: once the receivers answer 200, every pending delivery succeeds about 1 s later.
 */
export const RETRY_SCHEDULE = Array.from({ length: 40 }, () => '1s').join(',');

export interface Options {
  events: number;
  webhooks: number;
  json: boolean;
  concurrency: number;
  sendSeconds: number;
  drainTimeoutMs: number;
  postgresRestart: boolean;
  keepLogs: boolean;
  /** dev: the CLI's dev server (SQLite) and one api and worker; production: `npm run stack`'s topology. */
  stack: 'dev' | 'production';
}

export const USAGE = `usage: npm run chaos -- [--events N | --quick] [--webhooks N] [--json] [--concurrency N] [--send-seconds S]
                        [--drain-timeout S] [--no-postgres-restart] [--keep-logs]
                        [--stack dev|production]`;

export class UsageError extends Error {}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`--${name} must be a positive integer, not ${text}`);
  return value;
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        events: { type: 'string' },
        quick: { type: 'boolean', default: false },
        webhooks: { type: 'string' },
        json: { type: 'boolean', default: false },
        concurrency: { type: 'string' },
        'send-seconds': { type: 'string' },
        'drain-timeout': { type: 'string' },
        'no-postgres-restart': { type: 'boolean', default: false },
        'keep-logs': { type: 'boolean', default: false },
        stack: { type: 'string', default: 'dev' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function parseOptions(argv: string[]): Options {
  const values = parseFlags(argv);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.stack !== 'dev' && values.stack !== 'production')
    throw new UsageError(`--stack must be dev or production, not ${values.stack}`);
  const events = positive('events', values.events, values.quick ? 200 : 2000);
  return {
    events,
    webhooks: positive('webhooks', values.webhooks, 3),
    json: values.json,
    concurrency: positive('concurrency', values.concurrency, 8),
    // Long enough for five faults to happen while events still flow (200 events: 55 s), and no faster than a 2-core
    // machine delivers under chaos (~7 events/s; 2000 events: 280 s), so most deliveries meet the failing receivers.
    sendSeconds: positive('send-seconds', values['send-seconds'], Math.max(55, Math.round(events * 0.14))),
    // 200 events: 4 min; 2000 events: 10 min. Not less than 4 min: a worker SIGKILLed while it runs an event's
    // evaluateConditions activity (3-minute start-to-close timeout, no heartbeat) holds that workflow open ~3 min.
    drainTimeoutMs: positive('drain-timeout', values['drain-timeout'], Math.max(240, Math.round(events * 0.3))) * 1000,
    postgresRestart: !values['no-postgres-restart'],
    keepLogs: values['keep-logs'],
    stack: values.stack,
  };
}
