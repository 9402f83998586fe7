import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Webhook } from 'standardwebhooks';

import { listAttempts, listDeliveriesForEvent } from '../../src/db/queries/deliveries';
import type { ChatEventResult } from '../../src/domain/delivery';
import { SearchAttributes } from '../../src/domain/search-attributes';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { generateWebhookSecret } from '../../src/security/secret-box';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;

before(async () => {
  stack = await startStack({ retrySchedule: '1s,1s' });
});
after(async () => {
  await stack.close();
});

async function postAndWait(appId: string, event: Record<string, unknown>): Promise<ChatEventResult> {
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return stack.client.workflow.getHandle(res.body.workflow_id).result();
}

describe('delivery', () => {
  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  test('an event gives exactly one delivery with the seed payload and the three signature headers', async () => {
    const { appId, webhookId, secret } = await stack.createAppWithWebhook(receiver.url, { name: 'My App' });
    const event = messageEvent();
    const before = receiver.requests.length;
    const result = await postAndWait(appId, event);

    const received = receiver.requests.slice(before);
    assert.equal(received.length, 1);
    const [req] = received;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.path, '/hook');
    assert.equal(req!.headers['content-type'], 'application/json');
    assert.match(req!.headers['user-agent'] ?? '', /^chat-webhooks\/\d+\.\d+\.\d+/);
    assert.match(String(req!.headers['webhook-id']), /^msg_[0-9a-f]{32}$/);
    assert.match(String(req!.headers['webhook-timestamp']), /^\d{10}$/);
    assert.match(String(req!.headers['webhook-signature']), /^v1,[A-Za-z0-9+/=]+$/);

    const payload = JSON.parse(req!.body);
    assert.deepEqual(Object.keys(payload), [
      'event',
      'timestamp',
      'app_name',
      'user_email',
      'user_name',
      'last_message',
      'response',
      'event_id',
      'app_id',
      'conversation_id',
    ]);
    assert.deepEqual(payload, {
      event: 'Message sent',
      timestamp: '2024-01-01T12:00:00.000Z',
      app_name: 'My App',
      user_email: 'user@example.com',
      user_name: 'John Doe',
      last_message: 'User message',
      response: 'App response message',
      event_id: event.id,
      app_id: appId,
      conversation_id: 'conv_1',
    });

    assert.deepEqual(result, {
      appId,
      eventId: event.id,
      deliveries: [
        {
          deliveryId: req!.headers['webhook-id'],
          webhookId,
          status: 'succeeded',
          attempts: 1,
          statusCode: 200,
          error: null,
        },
      ],
    });
    const [delivery] = await listDeliveriesForEvent(stack.db.pool, appId, String(event.id));
    assert.equal(delivery!.status, 'succeeded');
    assert.equal(delivery!.payload, req!.body, 'the delivery log keeps the exact bytes sent');
    assert.ok(secret.startsWith('whsec_'));
  });

  test('the workflow is found in Temporal by its AppId, EventType and ConversationId search attributes', async () => {
    const { appId } = await stack.createAppWithWebhook(receiver.url);
    const event = messageEvent({ conversation_id: `conv-${Date.now()}` });
    await postAndWait(appId, event);
    const query = `AppId = '${appId}' AND EventType = 'message_sent' AND ConversationId = '${event.conversation_id}'`;
    // Visibility is eventually consistent: allow it a few seconds to catch up.
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const wf of stack.client.workflow.list({ query })) found.push(wf.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(found, [`chat-event:${appId}:${event.id}`]);
    const description = await stack.client.workflow.getHandle(found[0]!).describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal(description.typedSearchAttributes.get(SearchAttributes.AppId), appId);
    assert.equal(description.typedSearchAttributes.get(SearchAttributes.EventType), 'message_sent');
  });

  test('the signature verifies with standardwebhooks and fails with a wrong secret', async () => {
    const { appId, secret } = await stack.createAppWithWebhook(receiver.url);
    const before = receiver.requests.length;
    await postAndWait(appId, messageEvent());
    const req = receiver.requests[before]!;
    const headers = req.headers as Record<string, string>;

    const verified = new Webhook(secret).verify(req.body, headers);
    assert.equal((verified as { app_id: string }).app_id, appId);
    assert.throws(() => new Webhook(generateWebhookSecret()).verify(req.body, headers), /signature/i);
    assert.throws(
      () => new Webhook(secret).verify(req.body.replace('Message sent', 'Message sen'), headers),
      /signature/i,
    );
  });

  test('a receiver that answers 500 then 200 gets the webhook on the second attempt, and both attempts are recorded', async () => {
    const { appId } = await stack.createAppWithWebhook(receiver.url);
    const event = messageEvent();
    const before = receiver.requests.length;
    receiver.answer({ status: 500, body: 'boom: database unavailable' });
    const result = await postAndWait(appId, event);

    const received = receiver.requests.slice(before);
    assert.equal(received.length, 2);
    assert.equal(
      received[0]!.headers['webhook-id'],
      received[1]!.headers['webhook-id'],
      'webhook-id is stable across retries',
    );
    assert.equal(received[0]!.body, received[1]!.body);
    const gapMs = received[1]!.receivedAt.getTime() - received[0]!.receivedAt.getTime();
    assert.ok(gapMs >= 700, `the retry waited for the schedule (1s ±20%), got ${gapMs} ms`);

    assert.equal(result.deliveries[0]!.status, 'succeeded');
    assert.equal(result.deliveries[0]!.attempts, 2);
    const [delivery] = await listDeliveriesForEvent(stack.db.pool, appId, String(event.id));
    assert.equal(delivery!.status, 'succeeded');
    assert.equal(delivery!.attempt_count, 2);
    const attempts = await listAttempts(stack.db.pool, delivery!.id);
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0]!.attempt, 1);
    assert.equal(attempts[0]!.status_code, 500);
    assert.equal(attempts[0]!.error_class, 'http_status');
    assert.equal(attempts[0]!.response_excerpt, 'boom: database unavailable');
    assert.ok(attempts[0]!.next_attempt_at instanceof Date);
    assert.ok(attempts[0]!.duration_ms >= 0);
    assert.equal(attempts[1]!.attempt, 2);
    assert.equal(attempts[1]!.status_code, 200);
    assert.equal(attempts[1]!.error_class, null);
    assert.equal(attempts[1]!.next_attempt_at, null);
  });

  test('a receiver that always fails exhausts the schedule and the delivery ends as failed', async () => {
    const { appId } = await stack.createAppWithWebhook(receiver.url);
    const event = messageEvent();
    const before = receiver.requests.length;
    receiver.answer(
      { status: 503 },
      { status: 404 },
      { status: 302, headers: { location: 'http://127.0.0.1:1/elsewhere' } },
    );
    const result = await postAndWait(appId, event);

    assert.equal(
      receiver.requests.length - before,
      3,
      'schedule 1s,1s allows three attempts, and the 302 is not followed',
    );
    assert.deepEqual(
      {
        status: result.deliveries[0]!.status,
        attempts: result.deliveries[0]!.attempts,
        statusCode: result.deliveries[0]!.statusCode,
      },
      { status: 'failed', attempts: 3, statusCode: 302 },
    );
    const [delivery] = await listDeliveriesForEvent(stack.db.pool, appId, String(event.id));
    assert.equal(delivery!.status, 'failed');
    const attempts = await listAttempts(stack.db.pool, delivery!.id);
    assert.deepEqual(
      attempts.map((a) => a.status_code),
      [503, 404, 302],
    );
    assert.equal(attempts[2]!.response_headers?.location, 'http://127.0.0.1:1/elsewhere');
  });

  test('an unsubscribed event type delivers nothing, and neither does a disabled webhook', async () => {
    const subscribed = await stack.createAppWithWebhook(receiver.url, { events: ['user_signup'] });
    const disabled = await stack.createAppWithWebhook(receiver.url, { events: ['message_sent'], enabled: false });
    const before = receiver.requests.length;

    const r1 = await postAndWait(subscribed.appId, messageEvent());
    const disabledEvent = messageEvent();
    const r2 = await postAndWait(disabled.appId, disabledEvent);
    assert.deepEqual(r1.deliveries, []);
    // The disabled webhook's event is recorded as skipped, never attempted, so it can be recovered later.
    assert.deepEqual(
      r2.deliveries.map((d) => [d.webhookId, d.status, d.attempts, d.error]),
      [[disabled.webhookId, 'skipped', 0, 'webhook disabled']],
    );
    const [skipped] = await listDeliveriesForEvent(stack.db.pool, disabled.appId, String(disabledEvent.id));
    assert.equal(skipped!.status, 'skipped');
    assert.equal(skipped!.last_error, 'webhook disabled');
    assert.equal(receiver.requests.length, before);

    // The same subscribed webhook does receive the type it chose.
    const r3 = await postAndWait(subscribed.appId, {
      id: 'signup-1',
      type: 'user_signup',
      user: { email: 'a@b.co', logged_in: true },
    });
    assert.equal(r3.deliveries.length, 1);
    assert.equal(receiver.requests.length, before + 1);
    const payload = JSON.parse(receiver.requests.at(-1)!.body);
    assert.equal(payload.event, 'New user signup');
    assert.equal(payload.last_message, null);
    assert.equal(payload.response, null);
    assert.equal(payload.conversation_id, null);
  });

  test('two webhooks both receive the event, with different webhook-ids', async () => {
    const second = await startReceiver();
    try {
      const { appId, secret: secretA } = await stack.createAppWithWebhook(receiver.url);
      const hook2 = await stack.request('POST', `/v1/apps/${appId}/webhooks`, {
        url: second.url,
        events: ['message_sent'],
      });
      assert.equal(hook2.status, 201);
      const before = receiver.requests.length;
      const result = await postAndWait(appId, messageEvent());

      assert.equal(result.deliveries.length, 2);
      assert.ok(result.deliveries.every((d) => d.status === 'succeeded'));
      const a = receiver.requests.slice(before);
      const b = second.requests;
      assert.equal(a.length, 1);
      assert.equal(b.length, 1);
      assert.notEqual(a[0]!.headers['webhook-id'], b[0]!.headers['webhook-id']);
      assert.equal(a[0]!.body, b[0]!.body);
      // Each is signed with its own webhook's secret.
      new Webhook(secretA).verify(a[0]!.body, a[0]!.headers as Record<string, string>);
      new Webhook(hook2.body.secret).verify(b[0]!.body, b[0]!.headers as Record<string, string>);
      assert.throws(() => new Webhook(secretA).verify(b[0]!.body, b[0]!.headers as Record<string, string>));
    } finally {
      await second.close();
    }
  });

  test("a logged-out user's email and name are null in the payload", async () => {
    const { appId } = await stack.createAppWithWebhook(receiver.url);
    const before = receiver.requests.length;
    await postAndWait(
      appId,
      messageEvent({ user: { id: 'anon-7', email: 'guess@example.com', name: 'Guest', logged_in: false } }),
    );
    const payload = JSON.parse(receiver.requests[before]!.body);
    assert.equal(payload.user_email, null);
    assert.equal(payload.user_name, null);
    assert.equal(payload.last_message, 'User message', 'messages are still sent');

    const noUser = receiver.requests.length;
    await postAndWait(appId, messageEvent({ user: undefined }));
    const payload2 = JSON.parse(receiver.requests[noUser]!.body);
    assert.equal(payload2.user_email, null);
    assert.equal(payload2.user_name, null);
  });
});
