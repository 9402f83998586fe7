import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { Webhook } from 'standardwebhooks';

import { listAttempts } from '../../src/db/queries/deliveries';
import type { ChatEventResult } from '../../src/domain/delivery';
import { SearchAttributes } from '../../src/domain/search-attributes';
import { PACKAGE_ROOT } from '../../src/package-root';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { findTemporalCli } from '../../src/temporal/dev-server';
import { registerSearchAttributes } from '../../src/temporal/search-attribute-setup';
import { messageEvent, type Stack, startStack, temporalAddress } from '../helpers/stack';

const run = promisify(execFile);

let stack: Stack;
let receiver: Receiver;
let failing: Receiver;

before(async () => {
  stack = await startStack({ retrySchedule: '1s' });
  receiver = await startReceiver();
  failing = await startReceiver();
  failing.setDefault({ status: 500, body: 'down' });
});
after(async () => {
  await Promise.all([receiver.close(), failing.close()]);
  await stack.close();
});

async function post(
  appId: string,
  event: Record<string, unknown>,
): Promise<{ workflowId: string; result: ChatEventResult }> {
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return {
    workflowId: res.body.workflow_id,
    result: await stack.client.workflow.getHandle(res.body.workflow_id).result(),
  };
}

/** Visibility is eventually consistent: ask until the answer has `expected` workflows, for a few seconds. */
async function listIds(query: string, expected: number): Promise<string[]> {
  let ids: string[] = [];
  for (let i = 0; i < 60; i++) {
    ids = [];
    for await (const wf of stack.client.workflow.list({ query })) ids.push(wf.workflowId);
    if (ids.length >= expected) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return ids.sort();
}

describe('search attributes', () => {
  test('DeliveryState and WebhookIds tell delivered, failed, partially failed and nothing-to-send events apart', async () => {
    const app = (await stack.request('POST', '/v1/apps', { name: 'States' })).body.id as string;
    const good = (
      await stack.request('POST', `/v1/apps/${app}/webhooks`, {
        url: receiver.url,
        events: ['message_sent', 'user_signup'],
      })
    ).body;
    const bad = (
      await stack.request('POST', `/v1/apps/${app}/webhooks`, {
        url: failing.url,
        events: ['message_sent', 'conversation_end'],
      })
    ).body;
    const partly = await post(app, messageEvent());
    const delivered = await post(app, { id: `signup-${crypto.randomUUID()}`, type: 'user_signup' });
    const failed = await post(app, {
      id: `end-${crypto.randomUUID()}`,
      type: 'conversation_end',
      conversation_id: 'c-states',
    });
    await stack.request('PATCH', `/v1/apps/${app}/webhooks/${good.id}`, { events: ['user_signup'] });
    await stack.request('PATCH', `/v1/apps/${app}/webhooks/${bad.id}`, { events: ['conversation_end'] });
    const nothing = await post(app, messageEvent());

    const state = async (s: string, n: number) => listIds(`AppId = '${app}' AND DeliveryState = '${s}'`, n);
    assert.deepEqual(await state('partially_failed', 1), [partly.workflowId]);
    assert.deepEqual(await state('delivered', 1), [delivered.workflowId]);
    assert.deepEqual(await state('failed', 1), [failed.workflowId]);
    assert.deepEqual(await state('nothing_to_send', 1), [nothing.workflowId]);
    assert.deepEqual(await listIds(`WebhookIds = '${bad.id}'`, 2), [failed.workflowId, partly.workflowId].sort());
    const description = await stack.client.workflow.getHandle(partly.workflowId).describe();
    assert.deepEqual(
      [...(description.typedSearchAttributes.get(SearchAttributes.WebhookIds) ?? [])].sort(),
      [good.id, bad.id].sort(),
    );
    assert.match(String((await description.staticSummary()) ?? ''), /Message sent · app app_/);
  });

  test('migrate registers the search attributes on a namespace that lacks them, idempotently', async () => {
    const connection = await Connection.connect({ address: temporalAddress() });
    try {
      const namespace = `ns-${crypto.randomBytes(4).toString('hex')}`;
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
      let added: string[] = [];
      for (let i = 0; i < 50; i++) {
        try {
          added = await registerSearchAttributes(connection, namespace);
          break;
        } catch (error) {
          // A namespace just registered takes a moment to be served.
          if (i === 49) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      assert.deepEqual(added.sort(), ['AppId', 'ConversationId', 'DeliveryState', 'EventType', 'WebhookIds']);
      assert.deepEqual(await registerSearchAttributes(connection, namespace), [], 'a second run adds nothing');
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      assert.equal(customAttributes?.WebhookIds, 7, 'KeywordList');
      assert.equal(customAttributes?.AppId, 2, 'Keyword');
    } finally {
      await connection.close();
    }
  });

  test("the README's operator queries run as written against a dev server", async () => {
    const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
    assert.ok(cli, 'the suite needs the temporal CLI');
    const readme = fs.readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Operators'),
      readme.indexOf('\n## ', readme.indexOf('## Operators') + 5),
    );
    const queries = section.split('\n').filter((l) => l.startsWith('temporal workflow list --query'));
    assert.equal(queries.length, 4);

    const app = (await stack.request('POST', '/v1/apps', { name: 'Queries' })).body.id as string;
    const okHook = (
      await stack.request('POST', `/v1/apps/${app}/webhooks`, { url: receiver.url, events: ['conversation_end'] })
    ).body;
    const slowHook = (
      await stack.request('POST', `/v1/apps/${app}/webhooks`, {
        url: failing.url,
        events: ['message_sent'],
        retry_schedule: '10m',
      })
    ).body;
    const conversation = `conv-${crypto.randomUUID()}`;
    const end = await post(app, {
      id: `end-${crypto.randomUUID()}`,
      type: 'conversation_end',
      conversation_id: conversation,
    });
    // This one fails once and then waits 10 minutes: still delivering.
    const waiting = await stack.request(
      'POST',
      `/v1/apps/${app}/events`,
      messageEvent({ conversation_id: conversation }),
    );
    await failing.waitForRequests(1);
    const failedApp = (await stack.request('POST', '/v1/apps', { name: 'Failed' })).body.id as string;
    await stack.request('POST', `/v1/apps/${failedApp}/webhooks`, { url: failing.url, events: ['user_signup'] });
    const failed = await post(failedApp, { id: `signup-${crypto.randomUUID()}`, type: 'user_signup' });

    const expectations: Array<[string, Record<string, string>, string[]]> = [
      [queries[0]!, { APP_ID: failedApp }, [failed.workflowId]],
      [queries[1]!, { CONVERSATION_ID: conversation }, [end.workflowId, waiting.body.workflow_id].sort()],
      [queries[2]!, { WEBHOOK_ID: slowHook.id }, [waiting.body.workflow_id]],
      [queries[3]!, { APP_ID: app }, [end.workflowId]],
    ];
    for (const [query, vars, expected] of expectations) {
      let ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const { stdout } = await run('bash', ['-c', `${query} -o json`], {
          env: { PATH: `${path.dirname(cli)}:${process.env.PATH}`, TEMPORAL_ADDRESS: temporalAddress(), ...vars },
        });
        ids = (JSON.parse(stdout || '[]') as Array<{ execution: { workflowId: string } }>)
          .map((w) => w.execution.workflowId)
          .sort();
        if (ids.length >= expected.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(ids, expected, query);
    }
    void okHook;
  });
});

describe('replay and recover', () => {
  test('a replay resends with the same webhook-id and a fresh signature, appends attempts, and an Idempotency-Key makes it harmless', async () => {
    const { appId, webhookId, secret } = await stack.createAppWithWebhook(receiver.url);
    receiver.answer({ status: 500 }, { status: 500 });
    const before = receiver.requests.length;
    const { result } = await post(appId, messageEvent());
    const deliveryId = result.deliveries[0]!.deliveryId;
    assert.equal(result.deliveries[0]!.status, 'failed');

    const replay = await stack.request('POST', `/v1/apps/${appId}/deliveries/${deliveryId}/replay`, undefined, {
      headers: { 'Idempotency-Key': 'fix-1' },
    });
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    const again = await stack.request('POST', `/v1/apps/${appId}/deliveries/${deliveryId}/replay`, undefined, {
      headers: { 'Idempotency-Key': 'fix-1' },
    });
    assert.deepEqual(
      [again.status, again.body.status, again.body.replay_workflow_id],
      [200, 'duplicate', replay.body.replay_workflow_id],
    );
    const summary = await stack.client.workflow.getHandle(replay.body.replay_workflow_id).result();
    assert.equal(summary.status, 'succeeded');

    const sent = receiver.requests.slice(before);
    assert.equal(sent.length, 3, 'two failed attempts, one replay, and the repeated request sent nothing');
    assert.equal(new Set(sent.map((r) => r.headers['webhook-id'])).size, 1, 'the same webhook-id');
    assert.equal(sent[2]!.body, sent[0]!.body, 'the stored payload');
    new Webhook(secret).verify(sent[2]!.body, sent[2]!.headers as Record<string, string>);
    assert.deepEqual(
      (await listAttempts(stack.db.pool, deliveryId)).map((a) => [a.attempt, a.status_code]),
      [
        [1, 500],
        [2, 500],
        [3, 200],
      ],
    );
    const detail = await stack.request('GET', `/v1/apps/${appId}/deliveries/${deliveryId}`);
    assert.equal(detail.body.status, 'succeeded');

    // A succeeded delivery can be replayed too, to the webhook's current URL.
    const second = await startReceiver();
    try {
      await stack.request('PATCH', `/v1/apps/${appId}/webhooks/${webhookId}`, { url: second.url });
      const r2 = await stack.request('POST', `/v1/apps/${appId}/deliveries/${deliveryId}/replay`);
      await stack.client.workflow.getHandle(r2.body.replay_workflow_id).result();
      assert.equal(second.requests[0]!.headers['webhook-id'], deliveryId);
    } finally {
      await second.close();
    }
  });

  test('replaying to a disabled webhook is a 409 naming the fix; an unknown delivery is a 404', async () => {
    const { appId, webhookId } = await stack.createAppWithWebhook(receiver.url);
    const { result } = await post(appId, messageEvent());
    await stack.request('PATCH', `/v1/apps/${appId}/webhooks/${webhookId}`, { enabled: false });
    const res = await stack.request('POST', `/v1/apps/${appId}/deliveries/${result.deliveries[0]!.deliveryId}/replay`);
    assert.equal(res.status, 409);
    assert.match(res.body.error.message, /enable it/);
    assert.equal((await stack.request('POST', `/v1/apps/${appId}/deliveries/msg_nope/replay`)).status, 404);
  });

  test('a recovery resends every failed and skipped delivery in its window, and reports progress', async () => {
    const { appId, webhookId } = await stack.createAppWithWebhook(failing.url);
    const failedIds: string[] = [];
    for (let i = 0; i < 3; i++) failedIds.push((await post(appId, messageEvent())).result.deliveries[0]!.deliveryId);
    await stack.request('PATCH', `/v1/apps/${appId}/webhooks/${webhookId}`, { enabled: false });
    const skippedId = (await post(appId, messageEvent())).result.deliveries[0]!.deliveryId;
    // The receiver is fixed and the webhook pointed at it again.
    await stack.request('PATCH', `/v1/apps/${appId}/webhooks/${webhookId}`, { enabled: true, url: receiver.url });
    const before = receiver.requests.length;

    const started = await stack.request('POST', `/v1/apps/${appId}/webhooks/${webhookId}/recover`, { since: '1h' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await stack.client.workflow.getHandle(started.body.workflow_id).result();
    const progress = await stack.request(
      'GET',
      `/v1/apps/${appId}/webhooks/${webhookId}/recoveries/${started.body.recovery_id}`,
    );
    assert.deepEqual(
      {
        total: progress.body.total,
        sent: progress.body.sent,
        succeeded: progress.body.succeeded,
        failed: progress.body.failed,
        done: progress.body.done,
      },
      { total: 4, sent: 4, succeeded: 4, failed: 0, done: true },
    );
    const resent = new Set(receiver.requests.slice(before).map((r) => String(r.headers['webhook-id'])));
    assert.deepEqual([...resent].sort(), [...failedIds, skippedId].sort());

    const tooLong = await stack.request('POST', `/v1/apps/${appId}/webhooks/${webhookId}/recover`, { since: '15d' });
    // Longer than 14 days: cut to the 14 days before until, and the answer says so.
    assert.equal(tooLong.status, 202, JSON.stringify(tooLong.body));
    assert.equal(Date.parse(tooLong.body.until) - Date.parse(tooLong.body.since), 14 * 86_400_000);
    assert.match(tooLong.body.warnings[0], /longer than 14 days/);
    // since after until is no window at all: schema-valid, but refused with 422.
    const backwards = await stack.request('POST', `/v1/apps/${appId}/webhooks/${webhookId}/recover`, {
      since: '2024-02-01T00:00:00Z',
      until: '2024-01-01T00:00:00Z',
    });
    assert.equal(backwards.status, 422);
    assert.equal(backwards.body.error.code, 'invalid_window');
    assert.equal((await stack.request('GET', `/v1/apps/${appId}/webhooks/${webhookId}/recoveries/rcv_0`)).status, 404);
  });

  test('the replay and recover commands work through the API', async () => {
    const { appId, webhookId } = await stack.createAppWithWebhook(receiver.url);
    const { result } = await post(appId, messageEvent());
    const env = { PATH: process.env.PATH, CHAT_WEBHOOKS_API_URL: stack.apiUrl, ADMIN_API_KEY: stack.adminKey };
    const bin = path.join(PACKAGE_ROOT, 'bin', 'chat-webhooks.js');
    const replay = await run(process.execPath, [bin, 'replay', result.deliveries[0]!.deliveryId], { env });
    const replayed = JSON.parse(replay.stdout);
    assert.equal(replayed.status, 'replaying');
    await stack.client.workflow.getHandle(replayed.replay_workflow_id).result();
    const recover = await run(
      process.execPath,
      [bin, 'recover', '--app', appId, '--webhook', webhookId, '--since', '2h'],
      { env },
    );
    assert.match(recover.stdout, /"recovery_id": "rcv_/);
  });
});

describe('metrics and logs', () => {
  test('/metrics counts events, deliveries and attempts; logs carry ids and never message contents or secrets', async () => {
    const { appId, secret } = await stack.createAppWithWebhook(receiver.url);
    const marker = `confidential-${crypto.randomUUID()}`;
    const event = messageEvent({
      message: marker,
      response: marker,
      user: { email: `${marker}@example.com`, logged_in: true },
    });
    const { workflowId, result } = await post(appId, event);
    const res = await fetch(`${stack.apiUrl}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /chat_webhooks_events_accepted_total\{type="message_sent"\} [1-9]/);
    assert.match(text, /chat_webhooks_deliveries_total\{outcome="succeeded"\} [1-9]/);
    assert.match(text, /chat_webhooks_delivery_attempts_total\{result="2xx"\} [1-9]/);
    assert.match(text, /chat_webhooks_delivery_attempt_duration_seconds_count [1-9]/);
    assert.match(text, /chat_webhooks_delivery_latency_seconds_count [1-9]/);
    assert.match(text, /chat_webhooks_process_resident_memory_bytes \d+/);

    const logs = stack.logs.join('\n');
    const accepted = stack.logs
      .map((l) => JSON.parse(l))
      .find((l) => l.event_id === event.id && l.msg === 'event accepted');
    assert.deepEqual([accepted?.workflow_id, accepted?.app_id], [workflowId, appId]);
    assert.ok(result.deliveries[0]!.deliveryId);
    assert.ok(!logs.includes(marker), 'no message contents or user data in logs');
    assert.ok(!logs.includes(secret.slice(6)), 'no signing secret in logs');
    assert.ok(!logs.includes(stack.adminKey), 'no API key in logs');
  });
});
