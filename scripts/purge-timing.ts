/**
 * `npm run purge:timing`: the purge's batch size and timing on 100,000 deliveries. Makes a fresh database on
 * DATABASE_URL's server, inserts 100,000 finished deliveries older than LOG_RETENTION with two attempts each (and one
 * pending delivery, which must survive), then runs the purge's statements in their batches, as the purge workflow
 * does, and prints the batch size, batches, total time and the longest batch of each step.
 *
 *   DATABASE_URL=postgres://... npm run purge:timing [-- --deliveries 100000 --batch 1000]
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';

import pg from 'pg';

import { migrate } from '../src/db/migrate';
import { createPool } from '../src/db/pool';
import { purgeBatch } from '../src/db/queries/retention';
import { DEFAULT_PURGE_BATCH_SIZE, PURGE_STEPS } from '../src/domain/retention';

const DAY = 86_400_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      deliveries: { type: 'string', default: '100000' },
      batch: { type: 'string', default: String(DEFAULT_PURGE_BATCH_SIZE) },
    },
  });
  const total = Number(values.deliveries);
  const batchSize = Number(values.batch);
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('DATABASE_URL must point at a Postgres server (a fresh database is made there)');

  const name = `cw_purge_timing_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = createPool(url.href, 4);
  try {
    await migrate(url.href);
    const payload = JSON.stringify({ event: 'message_sent', last_message: 'x'.repeat(400), response: 'y'.repeat(800) });
    const fill = Date.now();
    // 100 days old: past both retentions, so every step has work. Two attempts each, with an excerpt.
    await db.query(
      `INSERT INTO deliveries (id, app_id, webhook_id, event_id, event_type, workflow_id, payload, status, attempt_count, created_at)
       SELECT 'msg_t' || g, 'app_t', 'wh_t', 'evt_' || g, 'message_sent', 'wf_' || g, $2, 'succeeded', 2,
              now() - interval '100 days' - make_interval(secs => g)
       FROM generate_series(1, $1) g`,
      [total, payload],
    );
    await db.query(
      `INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, response_headers, response_excerpt)
       SELECT 'msg_t' || g, a, now() - interval '100 days', 12, CASE a WHEN 1 THEN 500 ELSE 200 END,
              '{"content-type":"application/json"}', repeat('e', 300)
       FROM generate_series(1, $1) g, generate_series(1, 2) a`,
      [total],
    );
    await db.query(
      `INSERT INTO events (app_id, event_id, type, workflow_id, received_at)
       SELECT 'app_t', 'evt_' || g, 'message_sent', 'wf_' || g, now() - interval '100 days' FROM generate_series(1, $1) g`,
      [total],
    );
    await db.query(
      `INSERT INTO deliveries (id, app_id, webhook_id, event_id, event_type, workflow_id, payload, status, created_at)
       VALUES ('msg_pending', 'app_t', 'wh_t', 'evt_pending', 'message_sent', 'wf_p', $1, 'pending', now() - interval '100 days')`,
      [payload],
    );
    await db.query('ANALYZE');
    process.stdout.write(
      `Inserted ${total} deliveries (${2 * total} attempts, ${total} events) in ${((Date.now() - fill) / 1000).toFixed(1)} s\n\n`,
    );

    const cutoffs = { payloadRetentionMs: 30 * DAY, logRetentionMs: 90 * DAY };
    process.stdout.write(`batch size ${batchSize}\n`);
    process.stdout.write('step                    rows      batches  total ms  longest batch ms\n');
    let allBatches = 0;
    let allMs = 0;
    let longest = 0;
    for (const step of PURGE_STEPS) {
      let rows = 0;
      let batches = 0;
      let stepLongest = 0;
      const started = performance.now();
      for (;;) {
        const t = performance.now();
        const touched = await purgeBatch(db, step, cutoffs, batchSize);
        stepLongest = Math.max(stepLongest, performance.now() - t);
        rows += touched;
        batches++;
        if (touched < batchSize) break;
      }
      const ms = performance.now() - started;
      allBatches += batches;
      allMs += ms;
      longest = Math.max(longest, stepLongest);
      process.stdout.write(
        `${step.padEnd(22)} ${String(rows).padStart(7)} ${String(batches).padStart(10)} ${ms.toFixed(0).padStart(9)} ${stepLongest.toFixed(1).padStart(17)}\n`,
      );
    }
    process.stdout.write(
      `\nall steps: ${allBatches} batches, ${(allMs / 1000).toFixed(2)} s, longest batch ${longest.toFixed(1)} ms\n`,
    );
    const { rows: left } = await db.query<{ id: string }>('SELECT id FROM deliveries');
    if (left.length !== 1 || left[0]!.id !== 'msg_pending')
      throw new Error(`expected only the pending delivery left, got ${left.length}`);
    process.stdout.write('the pending delivery is untouched\n');
  } finally {
    await db.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
