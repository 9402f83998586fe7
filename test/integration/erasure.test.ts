/**
 * Erasure of one user: two users in one app and a user with the same id in another app, with real deliveries,
 * transcripts, evaluations (the fake LLM judges) and conversation clocks. Erasing the first user removes theirs only,
 * ends their delivery waiting for a retry without sending it again, answers counts then zeros, and leaves an audit row
 * without the user id.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import type { ChatEventResult } from '../../src/domain/delivery';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { createUserKeyOf } from '../../src/security/user-key';
import { type FakeLlm, startFakeLlm } from '../../support/fake-llm';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let llm: FakeLlm;
let receiver: Receiver;
let failing: Receiver;

const alice = `alice-${crypto.randomUUID()}`;
const bob = `bob-${crypto.randomUUID()}`;
let appA: { appId: string; appKey: string; webhookId: string };
let appB: { appId: string; appKey: string; webhookId: string };
/** Alice's delivery to the failing webhook, waiting 30 s for its third attempt when she is erased. */
let waiting: { deliveryId: string; workflowId: string };
/** Alice's delivery of her first event in app A, and Bob's, and Alice's namesake's in app B. */
let aliceDelivery: string;
let bobDelivery: string;
let otherAppDelivery: string;

function event(userId: string, conversationId: string): Record<string, unknown> {
  return messageEvent({
    conversation_id: conversationId,
    user: { id: userId, email: `${userId}@example.com`, name: 'Some One', logged_in: true },
    message: `hello from ${userId}`,
  });
}

async function post(appId: string, body: Record<string, unknown>): Promise<string> {
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, body);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.workflow_id as string;
}

async function postAndWait(appId: string, body: Record<string, unknown>): Promise<string> {
  const workflowId = await post(appId, body);
  await stack.client.workflow.getHandle(workflowId).result();
  const { rows } = await stack.db.pool.query<{ id: string }>(
    'SELECT id FROM deliveries WHERE app_id = $1 AND event_id = $2',
    [appId, body.id],
  );
  assert.equal(rows.length, 1);
  return rows[0]!.id;
}

async function rowsOf(appId: string, userId: string) {
  const key = createUserKeyOf(stack.secrets)(appId, userId);
  const q = async (sql: string) => (await stack.db.pool.query<{ n: number }>(sql, [appId, key])).rows[0]!.n;
  return {
    turns: await q('SELECT count(*)::int AS n FROM conversation_turns WHERE app_id = $1 AND user_key = $2'),
    evaluations: await q('SELECT count(*)::int AS n FROM condition_evaluations WHERE app_id = $1 AND user_key = $2'),
    conversations: await q('SELECT count(*)::int AS n FROM conversations WHERE app_id = $1 AND user_key = $2'),
    payloads: await q(
      'SELECT count(*)::int AS n FROM deliveries WHERE app_id = $1 AND user_key = $2 AND payload IS NOT NULL',
    ),
  };
}

before(async () => {
  llm = await startFakeLlm();
  stack = await startStack({
    llmBaseUrl: llm.baseUrl,
    llmTimeoutMs: 2_000,
    retrySchedule: '1s',
    conversationIdleMs: 600_000,
  });
  receiver = await startReceiver();
  failing = await startReceiver();
  failing.setDefault({ status: 500, body: 'receiver error for the user' });
  const webhook = {
    events: ['message_sent', 'custom_condition'] as const,
    conditions: [{ prompt: 'When the user asks about [pricing]' }],
  };
  appA = await stack.createAppWithWebhook(receiver.url, { name: 'App A', ...webhook, events: [...webhook.events] });
  appB = await stack.createAppWithWebhook(receiver.url, { name: 'App B', ...webhook, events: [...webhook.events] });

  aliceDelivery = await postAndWait(appA.appId, event(alice, 'conv_alice'));
  bobDelivery = await postAndWait(appA.appId, event(bob, 'conv_bob'));
  otherAppDelivery = await postAndWait(appB.appId, event(alice, 'conv_alice'));

  // Now a webhook that fails: Alice's next message waits for a retry there (1 s, then 30 s).
  const hook = await stack.request('POST', `/v1/apps/${appA.appId}/webhooks`, {
    url: failing.url,
    events: ['message_sent'],
    retry_schedule: '1s,30s',
  });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  const last = event(alice, 'conv_alice');
  const workflowId = await post(appA.appId, last);
  await failing.waitForRequests(2, 30_000);
  for (let i = 0; ; i++) {
    const { rows } = await stack.db.pool.query<{ id: string; attempt_count: number; status: string }>(
      'SELECT id, attempt_count, status FROM deliveries WHERE app_id = $1 AND event_id = $2 AND webhook_id = $3',
      [appA.appId, last.id, hook.body.id],
    );
    if (rows[0]?.attempt_count === 2) {
      assert.equal(rows[0].status, 'pending');
      waiting = { deliveryId: rows[0].id, workflowId };
      break;
    }
    assert.ok(i < 100, 'the second attempt is recorded');
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  await stack?.close();
  await receiver?.close();
  await failing?.close();
  await llm?.close();
});

describe('erasure of one user', () => {
  test('rows written for a user carry a keyed hash of app and user id, never the id', async () => {
    const a = await rowsOf(appA.appId, alice);
    assert.deepEqual(a, { turns: 4, evaluations: 2, conversations: 1, payloads: 3 });
    assert.deepEqual(await rowsOf(appA.appId, bob), { turns: 2, evaluations: 1, conversations: 1, payloads: 1 });
    assert.deepEqual(await rowsOf(appB.appId, alice), { turns: 2, evaluations: 1, conversations: 1, payloads: 1 });
    const { rows } = await stack.db.pool.query<{ user_key: string }>('SELECT user_key FROM deliveries WHERE id = $1', [
      aliceDelivery,
    ]);
    assert.match(rows[0]!.user_key, /^[0-9a-f]{64}$/);
    assert.notEqual(rows[0]!.user_key, createUserKeyOf(stack.secrets)(appB.appId, alice));
  });

  test('a portal session may not erase (403); an unknown app is 404', async () => {
    const session = await stack.request('POST', `/v1/apps/${appA.appId}/portal-sessions`, {});
    assert.equal(session.status, 201, JSON.stringify(session.body));
    const res = await stack.request('DELETE', `/v1/apps/${appA.appId}/users/${alice}`, undefined, {
      key: session.body.token,
    });
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'forbidden');
    const unknown = await stack.request('DELETE', `/v1/apps/app_doesnotexist/users/${alice}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    // A user id that no event could carry (a control character) is a 400 naming it, found by Schemathesis as a 500.
    const control = await stack.request('DELETE', `/v1/apps/${appA.appId}/users/u%1Ex`);
    assert.equal(control.status, 400, JSON.stringify(control.body));
    assert.equal(control.body.error.code, 'validation_failed');
    assert.equal(control.body.error.details[0].field, 'user_id');
    // Nothing was erased by any of them.
    assert.equal((await rowsOf(appA.appId, alice)).payloads, 3);
  });

  test('erasing Alice in app A removes hers only, ends her waiting delivery unsent, and answers counts', async () => {
    const res = await stack.request('DELETE', `/v1/apps/${appA.appId}/users/${alice}`, undefined, { key: appA.appKey });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, {
      deliveries_redacted: 3,
      deliveries_ended: 1,
      transcripts_deleted: 4,
      conversations_ended: 1,
      evaluations_deleted: 2,
    });

    // The waiting delivery's workflow ends now, without a third attempt.
    const result = (await stack.client.workflow.getHandle(waiting.workflowId).result()) as ChatEventResult;
    const summary = JSON.stringify(result);
    assert.match(summary, /user erased/);
    const ended = await stack.request('GET', `/v1/apps/${appA.appId}/deliveries/${waiting.deliveryId}`);
    assert.equal(ended.body.status, 'skipped');
    assert.equal(ended.body.last_error, 'user erased');
    assert.equal(ended.body.attempt_count, 2);
    assert.equal(ended.body.payload, null);
    assert.ok(ended.body.erased_at);
    for (const attempt of ended.body.attempts) assert.equal(attempt.response_excerpt, null);
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(failing.requests.length, 2, 'never sent again');

    const mine = await stack.request('GET', `/v1/apps/${appA.appId}/deliveries/${aliceDelivery}`);
    assert.equal(mine.body.payload, null);
    assert.equal(mine.body.status, 'succeeded', 'the metadata stays');
    assert.equal(mine.body.attempts[0].response_excerpt, null);
    assert.equal(mine.body.payload_expired_at, null);
    assert.deepEqual(await rowsOf(appA.appId, alice), { turns: 0, evaluations: 0, conversations: 0, payloads: 0 });
    const { rows: clock } = await stack.db.pool.query(
      `SELECT last_user, ended_by FROM conversations WHERE app_id = $1 AND conversation_id = 'conv_alice'`,
      [appA.appId],
    );
    assert.deepEqual(clock, [{ last_user: null, ended_by: 'backend' }]);

    // Bob, and the Alice of app B, keep everything.
    assert.deepEqual(await rowsOf(appA.appId, bob), { turns: 2, evaluations: 1, conversations: 1, payloads: 1 });
    assert.deepEqual(await rowsOf(appB.appId, alice), { turns: 2, evaluations: 1, conversations: 1, payloads: 1 });
    for (const [app, id] of [
      [appA.appId, bobDelivery],
      [appB.appId, otherAppDelivery],
    ] as const) {
      const got = await stack.request('GET', `/v1/apps/${app}/deliveries/${id}`);
      assert.ok(got.body.payload.last_message.startsWith('hello from'));
      assert.equal(got.body.erased_at, null);
      assert.ok(got.body.attempts[0].response_excerpt);
    }

    // An erased delivery cannot be replayed.
    const replay = await stack.request('POST', `/v1/apps/${appA.appId}/deliveries/${aliceDelivery}/replay`);
    assert.equal(replay.status, 409);
    assert.equal(replay.body.error.code, 'payload_expired');
    assert.match(replay.body.error.message, /erased/);
  });

  test('a second erasure answers zeros; each erasure is audited without the user id', async () => {
    const res = await stack.request('DELETE', `/v1/apps/${appA.appId}/users/${alice}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      deliveries_redacted: 0,
      deliveries_ended: 0,
      transcripts_deleted: 0,
      conversations_ended: 0,
      evaluations_deleted: 0,
    });
    const { rows } = await stack.db.pool.query('SELECT * FROM user_erasures ORDER BY id');
    assert.equal(rows.length, 2);
    const key = createUserKeyOf(stack.secrets)(appA.appId, alice);
    for (const row of rows) {
      assert.equal(row.app_id, appA.appId);
      assert.equal(row.user_key, key);
      assert.ok(row.erased_at instanceof Date);
    }
    assert.equal(rows[0].counts.deliveries_redacted, 3);
    assert.equal(rows[1].counts.deliveries_redacted, 0);
    assert.ok(!JSON.stringify(rows).includes(alice), 'no raw user id in the audit');
    assert.ok(!stack.logs.some((line) => line.includes(alice) && line.includes('user erased')));
  });
});
