/**
 * Per-app event quotas in one process: the token bucket itself (on this file's database, real Postgres or the
 * embedded one), the apps API that sets max_events_per_second, the 429 answer of the events API, and the server-wide
 * default. The quota across two API processes is tested in production-processes.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { insertApp } from '../../src/db/queries/apps';
import { listDeliveriesForEvent } from '../../src/db/queries/deliveries';
import { takeEventToken } from '../../src/db/queries/event-quotas';
import { findEvent } from '../../src/db/queries/events';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { chatEventWorkflowId } from '../../src/temporal/contracts';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;

before(async () => {
  stack = await startStack({ poolMax: 6 });
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await stack.close();
});

async function bareApp(name: string): Promise<string> {
  const app = await insertApp(stack.db.pool, { name, apiKeyHash: `hash-${name}-${Date.now()}`, apiKeyPrefix: 'x' });
  return app.id;
}

describe('the token bucket', () => {
  test('a full bucket grants its size, then refuses with the seconds until a token is back', async () => {
    const appId = await bareApp('bucket');
    const takes = [];
    for (let i = 0; i < 6; i++) takes.push(await takeEventToken(stack.db.pool, appId, 5));
    assert.deepEqual(takes.slice(0, 5), Array(5).fill({ granted: true }));
    assert.deepEqual(takes[5], { granted: false, retryAfterSeconds: 1 });
  });

  test('concurrent takes from several connections never grant more than the bucket holds', async () => {
    const appId = await bareApp('concurrent');
    const takes = await Promise.all(Array.from({ length: 40 }, () => takeEventToken(stack.db.pool, appId, 10)));
    // The bucket refills at 10/s while the takes run, so a slow machine may grant one or two more; never 40.
    const granted = takes.filter((t) => t.granted).length;
    assert.ok(granted >= 10 && granted <= 13, `granted ${granted}`);
  });

  test('it refills at its rate, and a lowered rate caps it at once', async () => {
    const appId = await bareApp('refill');
    for (let i = 0; i < 4; i++) assert.equal((await takeEventToken(stack.db.pool, appId, 4)).granted, true);
    assert.equal((await takeEventToken(stack.db.pool, appId, 4)).granted, false);
    // Pretend half a second passed: two tokens are back.
    await stack.db.pool.query(
      "UPDATE app_event_buckets SET refilled_at = refilled_at - interval '500 milliseconds' WHERE app_id = $1",
      [appId],
    );
    assert.equal((await takeEventToken(stack.db.pool, appId, 4)).granted, true);
    assert.equal((await takeEventToken(stack.db.pool, appId, 4)).granted, true);
    assert.equal((await takeEventToken(stack.db.pool, appId, 4)).granted, false);
    await stack.db.pool.query(
      "UPDATE app_event_buckets SET refilled_at = refilled_at - interval '1 hour' WHERE app_id = $1",
      [appId],
    );
    // After an hour the bucket holds its capacity, not an hour of tokens; at a rate of 1 that is one event.
    assert.equal((await takeEventToken(stack.db.pool, appId, 1)).granted, true);
    assert.deepEqual(await takeEventToken(stack.db.pool, appId, 1), { granted: false, retryAfterSeconds: 1 });
  });
});

describe('the apps API and the events API', () => {
  test('only the admin key sets max_events_per_second; the answer shows it; bad values are 400', async () => {
    const { appId, appKey } = await stack.createAppWithWebhook(receiver.url, { name: 'Quota settings' });
    const got = await stack.request('GET', `/v1/apps/${appId}`);
    assert.equal(got.body.max_events_per_second, null);
    const byApp = await stack.request('PATCH', `/v1/apps/${appId}`, { max_events_per_second: 1000 }, { key: appKey });
    assert.equal(byApp.status, 403);
    assert.equal(byApp.body.error.code, 'forbidden');
    assert.match(byApp.body.error.message, /max_events_per_second/);
    // The app key may still change what is its own.
    assert.equal((await stack.request('PATCH', `/v1/apps/${appId}`, { name: 'Renamed' }, { key: appKey })).status, 200);
    for (const bad of [0, -1, 1.5, '5', 1_000_001]) {
      const res = await stack.request('PATCH', `/v1/apps/${appId}`, { max_events_per_second: bad });
      assert.equal(res.status, 400, String(bad));
      assert.equal(res.body.error.details[0].field, 'max_events_per_second');
    }
    const set = await stack.request('PATCH', `/v1/apps/${appId}`, { max_events_per_second: 3 });
    assert.equal(set.status, 200);
    assert.equal(set.body.max_events_per_second, 3);
    assert.equal(set.body.name, 'Renamed');
    const renamed = await stack.request('PATCH', `/v1/apps/${appId}`, { name: 'Kept quota' });
    assert.equal(renamed.body.max_events_per_second, 3, 'a patch without it keeps it');
    const cleared = await stack.request('PATCH', `/v1/apps/${appId}`, { max_events_per_second: null });
    assert.equal(cleared.body.max_events_per_second, null);
    const created = await stack.request('POST', '/v1/apps', { name: 'Born limited', max_events_per_second: 7 });
    assert.equal(created.status, 201);
    assert.equal(created.body.max_events_per_second, 7);
  });

  test('above the quota: 429 rate_limited with Retry-After, nothing written or started; the retry is delivered once', async () => {
    const own = await startReceiver();
    const { appId, appKey } = await stack.createAppWithWebhook(own.url, { name: 'Quota events' });
    await stack.request('PATCH', `/v1/apps/${appId}`, { max_events_per_second: 2 });
    const events = Array.from({ length: 5 }, () => messageEvent());
    const answers = [];
    for (const event of events) {
      answers.push(await stack.request('POST', `/v1/apps/${appId}/events`, event, { key: appKey }));
    }
    assert.deepEqual(
      answers.map((a) => a.status),
      [202, 202, 429, 429, 429],
    );
    for (const [i, answer] of answers.entries()) {
      if (answer.status !== 429) continue;
      assert.equal(answer.body.error.code, 'rate_limited');
      assert.match(answer.body.error.message, /quota of 2 per second/);
      assert.equal(answer.headers.get('retry-after'), '1');
      const eventId = String(events[i]!.id);
      assert.equal(await findEvent(stack.db.pool, appId, eventId), undefined, 'no event row');
      await assert.rejects(
        stack.client.workflow.getHandle(chatEventWorkflowId(appId, eventId)).describe(),
        { name: 'WorkflowNotFoundError' },
        'no workflow',
      );
    }
    // A duplicate of an accepted event is answered without taking a token.
    const duplicate = await stack.request('POST', `/v1/apps/${appId}/events`, events[0], { key: appKey });
    assert.equal(duplicate.status, 200);
    assert.equal(duplicate.body.status, 'duplicate');

    // The backend retries the refused ones with the same ids, after Retry-After.
    const retried = events.slice(2);
    while (retried.length > 0) {
      await new Promise((r) => setTimeout(r, 1_000));
      const event = retried[0]!;
      const res = await stack.request('POST', `/v1/apps/${appId}/events`, event, { key: appKey });
      if (res.status === 202) retried.shift();
      else assert.equal(res.status, 429);
    }
    const requests = await own.waitForRequests(5);
    const ids = requests.map((r) => JSON.parse(r.body).event_id as string).sort();
    assert.deepEqual(ids, events.map((e) => String(e.id)).sort(), 'every event delivered once');
    for (const event of events) {
      // The workflow's end: its attempt is recorded by then (the receiver answers before it is).
      await stack.client.workflow.getHandle(chatEventWorkflowId(appId, String(event.id))).result();
      const deliveries = await listDeliveriesForEvent(stack.db.pool, appId, String(event.id));
      assert.deepEqual(
        deliveries.map((d) => d.status),
        ['succeeded'],
        `one delivery of ${String(event.id)} in the log`,
      );
    }
    await own.close();
  });
});

describe('the server-wide default', () => {
  test('APP_MAX_EVENTS_PER_SECOND applies to apps without their own quota; an app of its own overrides it', async () => {
    const limited = await startStack({ appMaxEventsPerSecond: 1 });
    try {
      const plain = await limited.request('POST', '/v1/apps', { name: 'Default quota' });
      const own = await limited.request('POST', '/v1/apps', { name: 'Own quota', max_events_per_second: 3 });
      const post = (appId: string) => limited.request('POST', `/v1/apps/${appId}/events`, messageEvent());
      assert.deepEqual([(await post(plain.body.id)).status, (await post(plain.body.id)).status], [202, 429]);
      const ownStatuses = [];
      for (let i = 0; i < 4; i++) ownStatuses.push((await post(own.body.id)).status);
      assert.deepEqual(ownStatuses, [202, 202, 202, 429]);
    } finally {
      await limited.close();
    }
  });
});
