import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { Client, Connection } from '@temporalio/client';

import { createApp } from '../../src/api/app';
import { createHttpServer } from '../../src/api/server';
import { listDeliveriesForEvent } from '../../src/db/queries/deliveries';
import { createLogger } from '../../src/logger';
import { freePortForChild } from '../../src/net/free-port';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;
let appId: string;

before(async () => {
  stack = await startStack();
  receiver = await startReceiver();
  ({ appId } = await stack.createAppWithWebhook(receiver.url));
});
after(async () => {
  await receiver.close();
  await stack.close();
});

const eventsPath = () => `/v1/apps/${appId}/events`;

describe('idempotency', () => {
  test('the same event id posted twice at once, and again after completion, gives exactly one delivery', async () => {
    const event = messageEvent();
    const before = receiver.requests.length;
    const replies = await Promise.all([
      stack.request('POST', eventsPath(), event),
      stack.request('POST', eventsPath(), event),
    ]);
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 202]);
    const accepted = replies.find((r) => r.status === 202)!.body;
    const duplicate = replies.find((r) => r.status === 200)!.body;
    assert.deepEqual(accepted, {
      event_id: event.id,
      workflow_id: `chat-event:${appId}:${event.id}`,
      status: 'accepted',
    });
    assert.deepEqual(duplicate, { ...accepted, status: 'duplicate' });

    await stack.client.workflow.getHandle(accepted.workflow_id).result();
    const again = await stack.request('POST', eventsPath(), event);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { ...accepted, status: 'duplicate' });

    assert.equal(receiver.requests.length - before, 1);
    assert.equal((await listDeliveriesForEvent(stack.db.pool, appId, String(event.id))).length, 1);
    const { rows } = await stack.db.pool.query(
      'SELECT count(*)::int AS n FROM events WHERE app_id = $1 AND event_id = $2',
      [appId, event.id],
    );
    assert.equal(rows[0].n, 1);
  });

  test('an Idempotency-Key header stands in for a missing id; the body id wins over a different header', async () => {
    const { id, ...withoutId } = messageEvent();
    const first = await stack.request('POST', eventsPath(), withoutId, { headers: { 'Idempotency-Key': String(id) } });
    assert.equal(first.status, 202);
    assert.equal(first.body.event_id, id);
    const second = await stack.request(
      'POST',
      eventsPath(),
      { ...withoutId, id },
      { headers: { 'Idempotency-Key': String(id) } },
    );
    assert.equal(second.status, 200);
    assert.equal(second.body.status, 'duplicate');
    const conflicting = await stack.request(
      'POST',
      eventsPath(),
      { ...withoutId, id: 'other' },
      { headers: { 'Idempotency-Key': String(id) } },
    );
    // Some HTTP clients add an Idempotency-Key of their own to every POST: the event is still accepted, as `other`.
    assert.equal(conflicting.status, 202, JSON.stringify(conflicting.body));
    assert.equal(conflicting.body.event_id, 'other');
  });

  test('an event with neither an id nor a header is still accepted, under an id the service makes up', async () => {
    const { id: _id, ...withoutId } = messageEvent();
    const first = await stack.request('POST', eventsPath(), withoutId);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.match(first.body.event_id, /^evt_[0-9a-f]{32}$/);
    const again = await stack.request('POST', eventsPath(), withoutId);
    assert.equal(again.status, 202, 'without an id, a retry is a new event');
    assert.notEqual(again.body.event_id, first.body.event_id);
  });
});

describe('bad requests', () => {
  const cases: Array<{ name: string; body: unknown; field: string }> = [
    { name: 'missing type', body: { id: 'e1', conversation_id: 'c' }, field: 'type' },
    { name: 'unknown type', body: { id: 'e1', type: 'message_snt', conversation_id: 'c' }, field: 'type' },
    { name: 'unknown field', body: { id: 'e1', type: 'user_signup', colour: 'red' }, field: 'colour' },
    { name: 'empty id', body: { id: '', type: 'user_signup' }, field: 'id' },
    { name: 'id too long', body: { id: 'x'.repeat(201), type: 'user_signup' }, field: 'id' },
    { name: 'id with a newline', body: { id: 'a\r\nb', type: 'user_signup' }, field: 'id' },
    {
      name: 'message_sent without conversation_id',
      body: { id: 'e1', type: 'message_sent', message: 'hi' },
      field: 'conversation_id',
    },
    {
      name: 'conversation_end without conversation_id',
      body: { id: 'e1', type: 'conversation_end' },
      field: 'conversation_id',
    },
    {
      name: 'occurred_at not ISO 8601',
      body: { id: 'e1', type: 'user_signup', occurred_at: 'yesterday' },
      field: 'occurred_at',
    },
    {
      name: 'logged_in missing',
      body: { id: 'e1', type: 'user_signup', user: { email: 'a@b.co' } },
      field: 'user.logged_in',
    },
    {
      name: 'logged_in as a string',
      body: { id: 'e1', type: 'user_signup', user: { logged_in: 'true' } },
      field: 'user.logged_in',
    },
    {
      name: 'email not an email',
      body: { id: 'e1', type: 'user_signup', user: { email: 'nope', logged_in: true } },
      field: 'user.email',
    },
    {
      name: 'message not a string',
      body: { id: 'e1', type: 'message_sent', conversation_id: 'c', message: 42 },
      field: 'message',
    },
    { name: 'a JSON array', body: [], field: '(body)' },
  ];
  for (const c of cases) {
    test(`400 for ${c.name}, naming ${c.field}`, async () => {
      const res = await stack.request('POST', eventsPath(), c.body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'validation_failed');
      assert.ok(
        res.body.error.details.some((d: { field: string }) => d.field === c.field),
        `details name ${c.field}: ${JSON.stringify(res.body.error.details)}`,
      );
      assert.ok(res.body.error.message.includes(c.field), res.body.error.message);
    });
  }

  test('400 for invalid JSON, 415 for another content type, 413 for a body over 256 KB', async () => {
    const invalid = await stack.request('POST', eventsPath(), '{"id": "e1", ');
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.code, 'invalid_json');

    const form = await fetch(`${stack.apiUrl}${eventsPath()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'id=e1&type=user_signup',
    });
    assert.equal(form.status, 415);
    assert.match(((await form.json()) as any).error.message, /application\/json/);

    const big = await stack.request('POST', eventsPath(), messageEvent({ message: 'x'.repeat(300 * 1024) }));
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'body_too_large');
  });

  test('401 without a key and with a wrong key; 404 for an unknown app', async () => {
    const none = await stack.request('POST', eventsPath(), messageEvent(), { key: null });
    assert.equal(none.status, 401);
    assert.match(none.body.error.message, /Authorization: Bearer/);
    const wrong = await stack.request('POST', eventsPath(), messageEvent(), { key: 'cwk_admin_wrong' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'unauthorized');
    const unknown = await stack.request('POST', '/v1/apps/app_doesnotexist/events', messageEvent());
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
  });

  test('nothing is written for refused requests', async () => {
    const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM events WHERE event_id = $1', ['e1']);
    assert.equal(rows[0].n, 0);
  });
});

describe('health', () => {
  test('/healthz and /readyz answer without a key', async () => {
    const health = await stack.request('GET', '/healthz', undefined, { key: null });
    assert.deepEqual({ status: health.status, body: health.body }, { status: 200, body: { status: 'ok' } });
    const ready = await stack.request('GET', '/readyz', undefined, { key: null });
    assert.deepEqual(
      { status: ready.status, body: ready.body },
      { status: 200, body: { status: 'ready', checks: { postgres: 'up', temporal: 'up' } } },
    );
  });
});

describe('Temporal unreachable', () => {
  test('503 with a clear message, and nothing half-written', async () => {
    // A port that nothing listens on, and that no other test's listen(0) can take meanwhile.
    const deadPort = await freePortForChild();

    const connection = Connection.lazy({ address: `127.0.0.1:${deadPort}` });
    const app = createApp({
      db: stack.db.pool,
      temporal: { client: new Client({ connection }), taskQueue: stack.taskQueue, startTimeoutMs: 2_000 },
      secrets: stack.secrets,
      adminApiKey: stack.adminKey,
      destination: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'] },
      secretRotationOverlapMs: 0,
      llm: undefined,
      metrics: stack.metrics,
      logger: createLogger('silent'),
    });
    const server = createHttpServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const event = messageEvent();
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${eventsPath()}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(event),
      });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      const body = (await res.json()) as any;
      assert.equal(body.error.code, 'temporal_unavailable');
      assert.match(body.error.message, /not accepted/);
      const { rows } = await stack.db.pool.query(
        'SELECT count(*)::int AS n FROM events WHERE app_id = $1 AND event_id = $2',
        [appId, event.id],
      );
      assert.equal(rows[0].n, 0, 'the event is not recorded, so a retry is accepted');

      const ready = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
      assert.equal(ready.status, 503);
      assert.deepEqual(await ready.json(), { status: 'not_ready', checks: { postgres: 'up', temporal: 'down' } });

      // The same event, retried against the healthy API, is accepted rather than called a duplicate.
      const retry = await stack.request('POST', eventsPath(), event);
      assert.equal(retry.status, 202);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close().catch(() => {});
    }
  });
});
