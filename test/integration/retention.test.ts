/**
 * Retention: real deliveries, aged by moving their timestamps back, then the purge workflow run for real on this
 * file's worker. Payloads and excerpts go after PAYLOAD_RETENTION (metadata stays), rows after LOG_RETENTION, pending
 * deliveries never; batches are bounded; a purged delivery cannot be replayed; the retention schedule is created once.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { ScheduleOverlapPolicy } from '@temporalio/client';

import { ConfigError, loadConfig } from '../../src/config';
import { PURGE_STEPS } from '../../src/domain/retention';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { type PurgeInput, type PurgeResult, WorkflowType } from '../../src/temporal/contracts';
import { ensureRetentionSchedule } from '../../src/temporal/retention-schedule';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

const DAY = 86_400_000;
const RETENTION = { payloadRetentionMs: 30 * DAY, logRetentionMs: 90 * DAY };

let stack: Stack;
let receiver: Receiver;
let failing: Receiver;
let app: { appId: string; webhookId: string };
/** Five succeeded deliveries of app, one per event. */
const delivered: Array<{ deliveryId: string; eventId: string }> = [];
/** A delivery waiting 10 minutes for its second attempt. */
let pending: { deliveryId: string; eventId: string };

async function post(appId: string, event: Record<string, unknown>): Promise<string> {
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.workflow_id as string;
}

async function purge(batchSize: number): Promise<PurgeResult> {
  const input: PurgeInput = { ...RETENTION, batchSize };
  return stack.client.workflow.execute(WorkflowType.purge, {
    taskQueue: stack.taskQueue,
    workflowId: `purge-test-${crypto.randomUUID()}`,
    args: [input],
  });
}

async function ageDeliveries(ids: string[], days: number): Promise<void> {
  await stack.db.pool.query(`UPDATE deliveries SET created_at = now() - make_interval(days => $2) WHERE id = ANY($1)`, [
    ids,
    days,
  ]);
  await stack.db.pool.query(
    `UPDATE events SET received_at = now() - make_interval(days => $2)
     WHERE (app_id, event_id) IN (SELECT app_id, event_id FROM deliveries WHERE id = ANY($1))`,
    [ids, days],
  );
}

before(async () => {
  stack = await startStack({ retrySchedule: '1s' });
  receiver = await startReceiver();
  failing = await startReceiver();
  failing.setDefault({ status: 500, body: 'upstream error: details of the failure', headers: { 'x-trace': 'abc' } });
  receiver.setDefault({ status: 200, body: '{"ok":true,"echo":"receiver says hello"}' });
  app = await stack.createAppWithWebhook(receiver.url, { name: 'Retention App' });

  for (let i = 0; i < 5; i++) {
    const event = messageEvent({ conversation_id: `conv_${i}` });
    await stack.client.workflow.getHandle(await post(app.appId, event)).result();
    const { rows } = await stack.db.pool.query<{ id: string }>(
      'SELECT id FROM deliveries WHERE app_id = $1 AND event_id = $2',
      [app.appId, event.id],
    );
    delivered.push({ deliveryId: rows[0]!.id, eventId: event.id as string });
  }

  // Another app whose receiver fails: its delivery waits 10 minutes for a retry, pending throughout this file.
  const other = (await stack.request('POST', '/v1/apps', { name: 'Pending App' })).body.id as string;
  const hook = await stack.request('POST', `/v1/apps/${other}/webhooks`, {
    url: failing.url,
    events: ['message_sent'],
    retry_schedule: '10m',
  });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  const event = messageEvent();
  await post(other, event);
  await failing.waitForRequests(1, 30_000);
  for (let i = 0; ; i++) {
    const { rows } = await stack.db.pool.query<{ id: string; attempt_count: number }>(
      'SELECT id, attempt_count FROM deliveries WHERE app_id = $1 AND event_id = $2',
      [other, event.id],
    );
    if (rows[0]?.attempt_count === 1) {
      pending = { deliveryId: rows[0].id, eventId: event.id as string };
      break;
    }
    assert.ok(i < 100, 'the first attempt is recorded');
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  await stack?.close();
  await receiver?.close();
  await failing?.close();
});

describe('retention', () => {
  test('LOG_RETENTION shorter than PAYLOAD_RETENTION is a ConfigError; the defaults are 30d and 90d', () => {
    assert.throws(
      () => loadConfig({ PAYLOAD_RETENTION: '30d', LOG_RETENTION: '7d' }, 'dev'),
      (error: unknown) =>
        error instanceof ConfigError && /LOG_RETENTION must be at least PAYLOAD_RETENTION/.test(error.message),
    );
    assert.deepEqual(loadConfig({}, 'dev').retention, { payloadMs: 30 * DAY, logMs: 90 * DAY });
    assert.deepEqual(loadConfig({ PAYLOAD_RETENTION: '1h', LOG_RETENTION: '1h' }, 'dev').retention, {
      payloadMs: 3_600_000,
      logMs: 3_600_000,
    });
  });

  test('nothing younger than PAYLOAD_RETENTION is touched', async () => {
    const result = await purge(1000);
    assert.deepEqual(result.counts, Object.fromEntries(PURGE_STEPS.map((s) => [s, 0])));
    assert.equal(result.batches, PURGE_STEPS.length, 'one short batch per step');
    const got = await stack.request('GET', `/v1/apps/${app.appId}/deliveries/${delivered[0]!.deliveryId}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.payload.event_id, delivered[0]!.eventId);
    assert.equal(got.body.payload.last_message, 'User message');
    assert.equal(got.body.payload_expired_at, null);
  });

  test('after PAYLOAD_RETENTION: payloads, excerpts, headers and transcripts go in bounded batches; metadata stays', async () => {
    const ids = delivered.map((d) => d.deliveryId);
    await ageDeliveries([...ids, pending.deliveryId], 40);
    // Two transcript turns, one stored 40 days ago and one now.
    await stack.db.pool.query(
      `INSERT INTO conversation_turns (app_id, conversation_id, event_id, role, text, occurred_at, recorded_at) VALUES
         ($1, 'conv_t', 'e_old', 'user', 'an old message', now(), now() - interval '40 days'),
         ($1, 'conv_t', 'e_new', 'user', 'a new message', now(), now())`,
      [app.appId],
    );
    const before = await stack.request('GET', `/v1/apps/${app.appId}/deliveries/${ids[0]}`);
    assert.equal(before.body.attempts[0].response_excerpt, '{"ok":true,"echo":"receiver says hello"}');

    // A batch of 2 over 5 deliveries: 2, 2, then a short batch of 1 ends the step; every other step has one batch.
    const result = await purge(2);
    assert.equal(result.counts.delivery_payloads, 5);
    assert.equal(result.counts.conversation_turns, 1);
    assert.equal(result.counts.deliveries, 0);
    assert.equal(result.batches, 3 + (PURGE_STEPS.length - 1));

    for (const id of ids) {
      const got = await stack.request('GET', `/v1/apps/${app.appId}/deliveries/${id}`);
      assert.equal(got.status, 200);
      assert.equal(got.body.payload, null);
      assert.ok(Date.parse(got.body.payload_expired_at) > Date.now() - 60_000);
      assert.equal(got.body.erased_at, null);
      assert.equal(got.body.status, 'succeeded');
      assert.equal(got.body.attempt_count, 1);
      assert.equal(got.body.attempts.length, 1);
      assert.equal(got.body.attempts[0].status_code, 200);
      assert.equal(got.body.attempts[0].response_excerpt, null);
      assert.equal(got.body.attempts[0].response_headers, null);
    }
    const { rows: turns } = await stack.db.pool.query('SELECT event_id FROM conversation_turns WHERE app_id = $1', [
      app.appId,
    ]);
    assert.deepEqual(turns, [{ event_id: 'e_new' }]);

    // The pending delivery, as old, keeps everything: its workflow still needs the payload.
    const { rows } = await stack.db.pool.query(
      `SELECT d.payload IS NOT NULL AS has_payload, d.payload_purged_at, d.status, a.response_excerpt
       FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id WHERE d.id = $1`,
      [pending.deliveryId],
    );
    assert.deepEqual(rows, [
      {
        has_payload: true,
        payload_purged_at: null,
        status: 'pending',
        response_excerpt: 'upstream error: details of the failure',
      },
    ]);

    // A second purge finds nothing more to do.
    const again = await purge(2);
    assert.equal(again.counts.delivery_payloads, 0);
  });

  test('a purged delivery cannot be replayed: 409 payload_expired', async () => {
    const id = delivered[0]!.deliveryId;
    const res = await stack.request('POST', `/v1/apps/${app.appId}/deliveries/${id}/replay`);
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'payload_expired');
    assert.match(res.body.error.message, /PAYLOAD_RETENTION/);
    // Nothing was reopened.
    const got = await stack.request('GET', `/v1/apps/${app.appId}/deliveries/${id}`);
    assert.equal(got.body.status, 'succeeded');
  });

  test('after LOG_RETENTION: delivery, attempt and event rows go too; the pending delivery and its event stay', async () => {
    const ids = delivered.map((d) => d.deliveryId);
    await ageDeliveries([...ids, pending.deliveryId], 100);
    const result = await purge(2);
    assert.equal(result.counts.deliveries, 5);
    assert.equal(result.counts.events, 5);

    const { rows: left } = await stack.db.pool.query<{ id: string }>('SELECT id FROM deliveries WHERE id = ANY($1)', [
      [...ids, pending.deliveryId],
    ]);
    assert.deepEqual(left, [{ id: pending.deliveryId }]);
    const { rows: attempts } = await stack.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM delivery_attempts WHERE delivery_id = ANY($1)',
      [ids],
    );
    assert.equal(attempts[0]!.n, 0);
    const { rows: events } = await stack.db.pool.query<{ event_id: string }>('SELECT event_id FROM events');
    assert.deepEqual(events, [{ event_id: pending.eventId }]);
    const gone = await stack.request('GET', `/v1/apps/${app.appId}/deliveries/${ids[0]}`);
    assert.equal(gone.status, 404);
  });

  test('the retention schedule is created once; a second setup changes nothing; a changed config updates it', async () => {
    const scheduleId = `test-retention-${crypto.randomUUID()}`;
    const opts = { taskQueue: stack.taskQueue, retention: { payloadMs: 30 * DAY, logMs: 90 * DAY }, scheduleId };
    assert.equal(await ensureRetentionSchedule(stack.client, opts), 'created');
    const handle = stack.client.schedule.getHandle(scheduleId);
    try {
      const first = await handle.describe();
      assert.equal(first.action.type, 'startWorkflow');
      assert.ok(first.action.type === 'startWorkflow');
      assert.equal(first.action.workflowType, 'purgeWorkflow');
      assert.equal(first.action.taskQueue, stack.taskQueue);
      assert.deepEqual(first.action.args, [
        { payloadRetentionMs: 30 * DAY, logRetentionMs: 90 * DAY, batchSize: 1000 },
      ]);
      assert.equal(first.policies.overlap, ScheduleOverlapPolicy.SKIP);
      assert.deepEqual(
        first.spec.intervals?.map((i) => i.every),
        [3_600_000],
      );

      assert.equal(await ensureRetentionSchedule(stack.client, opts), 'unchanged');
      const second = await handle.describe();
      assert.equal(second.info.lastUpdatedAt?.getTime(), first.info.lastUpdatedAt?.getTime());
      assert.deepEqual(second.action, first.action);

      assert.equal(
        await ensureRetentionSchedule(stack.client, { ...opts, retention: { payloadMs: 7 * DAY, logMs: 30 * DAY } }),
        'updated',
      );
      const third = await handle.describe();
      assert.ok(third.action.type === 'startWorkflow');
      assert.deepEqual(third.action.args, [{ payloadRetentionMs: 7 * DAY, logRetentionMs: 30 * DAY, batchSize: 1000 }]);
    } finally {
      await handle.delete();
    }
  });
});
