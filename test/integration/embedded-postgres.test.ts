/**
 * The embedded default (no DATABASE_URL): PGlite behind its socket server, used through the same `pg` pool as real
 * Postgres. PGlite runs one query at a time, so this proves the pool and server settings hold under concurrent API
 * requests, transactions included.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { withTransaction } from '../../src/db/pool';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;

before(async () => {
  stack = await startStack({ forceEmbeddedDb: true, poolMax: 10 });
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await stack.close();
});

test('the stack runs on embedded PGlite', () => {
  assert.equal(stack.db.kind, 'pglite');
});

test('concurrent API requests give correct results', async () => {
  const apps = await Promise.all(
    Array.from({ length: 20 }, (_, i) => stack.createAppWithWebhook(receiver.url, { name: `App ${i}` })),
  );
  assert.equal(new Set(apps.map((a) => a.appId)).size, 20);

  // 40 distinct events and 20 repeats, all at once.
  const events = apps.flatMap((a) => [messageEvent(), messageEvent()].map((e) => ({ appId: a.appId, event: e })));
  const posts = [...events, ...events.slice(0, 20)].map(({ appId, event }) =>
    stack.request('POST', `/v1/apps/${appId}/events`, event),
  );
  const replies = await Promise.all(posts);
  assert.ok(
    replies.every((r) => r.status === 202 || r.status === 200),
    JSON.stringify(replies.filter((r) => r.status >= 300)),
  );
  assert.equal(replies.filter((r) => r.status === 202).length, 40);
  assert.equal(replies.filter((r) => r.status === 200).length, 20);

  await receiver.waitForRequests(40, 60_000);
  await Promise.all(
    replies.filter((r) => r.status === 202).map((r) => stack.client.workflow.getHandle(r.body.workflow_id).result()),
  );
  assert.equal(receiver.requests.length, 40);
  assert.equal(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size, 40);

  const { rows } = await stack.db.pool.query(
    `SELECT (SELECT count(*)::int FROM events) AS events,
            (SELECT count(*)::int FROM deliveries WHERE status = 'succeeded') AS succeeded,
            (SELECT count(*)::int FROM delivery_attempts) AS attempts`,
  );
  assert.deepEqual(rows[0], { events: 40, succeeded: 40, attempts: 40 });
});

test('transactions on several connections at once neither deadlock nor lose writes', async () => {
  await stack.db.pool.query('CREATE TABLE IF NOT EXISTS tx_probe (n int)');
  await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      withTransaction(stack.db.pool, async (client) => {
        await client.query('INSERT INTO tx_probe (n) VALUES ($1)', [i]);
        await client.query('INSERT INTO tx_probe (n) VALUES ($1)', [i + 100]);
      }),
    ),
  );
  // A transaction that fails leaves nothing behind.
  await assert.rejects(
    withTransaction(stack.db.pool, async (client) => {
      await client.query('INSERT INTO tx_probe (n) VALUES (-1)');
      await client.query('SELECT 1/0');
    }),
    /division by zero/,
  );
  const { rows } = await stack.db.pool.query(
    'SELECT count(*)::int AS n, count(*) FILTER (WHERE n < 0)::int AS failed FROM tx_probe',
  );
  assert.deepEqual(rows[0], { n: 60, failed: 0 });
});
