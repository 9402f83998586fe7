import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Webhook } from 'standardwebhooks';

import { listAttempts, listDeliveriesForEvent } from '../../src/db/queries/deliveries';
import type { ChatEventResult } from '../../src/domain/delivery';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;
let alerts: Receiver;

before(async () => {
  // Endpoint health trips after 1.5 s of nothing but failures, so the test need not wait five days.
  stack = await startStack({ retrySchedule: '1s,1s,1s', disableAfterMs: 1_500 });
  receiver = await startReceiver();
  alerts = await startReceiver();
});
after(async () => {
  await Promise.all([receiver.close(), alerts.close()]);
  await stack.close();
});

async function post(
  appId: string,
  event = messageEvent(),
): Promise<{ result: ChatEventResult; event: Record<string, unknown> }> {
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return { result: await stack.client.workflow.getHandle(res.body.workflow_id).result(), event };
}

async function setAlertUrl(appId: string, url: string) {
  const res = await stack.request('PATCH', `/v1/apps/${appId}`, { alert_url: url });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.alert_url, url);
}

async function webhookRow(id: string) {
  return (
    await stack.db.pool.query(
      'SELECT enabled, disabled_reason, failing_since, disabled_at FROM webhooks WHERE id = $1',
      [id],
    )
  ).rows[0];
}

describe('answers', () => {
  test('410 Gone is not retried; the webhook is disabled with reason gone, and alert_url hears of it, signed', async () => {
    const { appId, webhookId, secret } = await stack.createAppWithWebhook(receiver.url);
    await setAlertUrl(appId, alerts.url);
    receiver.answer({ status: 410, body: 'Zap turned off' });
    const before = receiver.requests.length;
    const alertsBefore = alerts.requests.length;
    const { result } = await post(appId);
    assert.equal(receiver.requests.length - before, 1, 'no retry after 410');
    assert.equal(result.deliveries[0]!.status, 'failed');
    assert.equal(result.deliveries[0]!.attempts, 1);
    assert.match(result.deliveries[0]!.error ?? '', /webhook disabled \(gone\)/);
    const row = await webhookRow(webhookId);
    assert.equal(row.enabled, false);
    assert.equal(row.disabled_reason, 'gone');
    assert.ok(row.disabled_at instanceof Date);

    await alerts.waitForRequests(alertsBefore + 1);
    const alert = alerts.requests[alertsBefore]!;
    const body = new Webhook(secret).verify(alert.body, alert.headers as Record<string, string>) as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      {
        event: body.event,
        webhook_id: body.webhook_id,
        reason: body.reason,
        app_id: body.app_id,
        url: body.webhook_url,
      },
      { event: 'Webhook disabled', webhook_id: webhookId, reason: 'gone', app_id: appId, url: receiver.url },
    );
    assert.ok(
      stack.logs.some((l) => l.includes('"msg":"webhook disabled"') && l.includes(webhookId)),
      'a log line records it',
    );
    const metric = await stack.metrics.registry.getSingleMetricAsString('chat_webhooks_webhooks_disabled_total');
    assert.match(metric, /reason="gone"} [1-9]/);

    // While disabled, events are recorded as skipped and not attempted; turning it on again delivers again.
    const { result: skipped } = await post(appId);
    assert.equal(skipped.deliveries[0]!.status, 'skipped');
    assert.equal(receiver.requests.length - before, 1);
    assert.equal(
      (await stack.request('PATCH', `/v1/apps/${appId}/webhooks/${webhookId}`, { enabled: true })).status,
      200,
    );
    const { result: again } = await post(appId);
    assert.equal(again.deliveries[0]!.status, 'succeeded');
  });

  test('429 with Retry-After waits that long when it is longer than the schedule', async () => {
    const { appId } = await stack.createAppWithWebhook(receiver.url);
    receiver.answer({ status: 429, headers: { 'retry-after': '3' } });
    const before = receiver.requests.length;
    const { result } = await post(appId);
    const [first, second] = receiver.requests.slice(before);
    const gap = second!.receivedAt.getTime() - first!.receivedAt.getTime();
    assert.ok(gap >= 2_900, `waited ${gap} ms for Retry-After: 3 (the schedule says 1 s)`);
    assert.equal(result.deliveries[0]!.status, 'succeeded');
  });

  test('503 with Retry-After as an HTTP date is honoured too', async () => {
    const { appId } = await stack.createAppWithWebhook(receiver.url);
    receiver.answer({ status: 503, headers: { 'retry-after': new Date(Date.now() + 3_000).toUTCString() } });
    const before = receiver.requests.length;
    await post(appId);
    const [first, second] = receiver.requests.slice(before);
    const gap = second!.receivedAt.getTime() - first!.receivedAt.getTime();
    assert.ok(gap >= 1_500, `waited ${gap} ms for a Retry-After date about 2-3 s ahead`);
  });

  test('every attempt is recorded with time, duration, status, error, headers, excerpt and next attempt', async () => {
    const { appId } = await stack.createAppWithWebhook(receiver.url);
    receiver.answer(
      { status: 500, body: 'x'.repeat(10_000), headers: { 'x-request-id': 'req-42', 'set-cookie': 'session=secret' } },
      { reset: true },
    );
    const { result, event } = await post(appId);
    assert.equal(result.deliveries[0]!.attempts, 3);
    const [delivery] = await listDeliveriesForEvent(stack.db.pool, appId, String(event.id));
    const attempts = await listAttempts(stack.db.pool, delivery!.id);
    assert.deepEqual(
      attempts.map((a) => [a.status_code, a.error_class]),
      [
        [500, 'http_status'],
        [null, 'connection_reset'],
        [200, null],
      ],
    );
    assert.equal(attempts[0]!.response_excerpt!.length, 4096, 'at most 4 KB of the body');
    assert.equal(attempts[0]!.response_headers!['x-request-id'], 'req-42');
    assert.equal(attempts[0]!.response_headers!['set-cookie'], undefined, 'cookies are not kept');
    assert.ok(attempts[0]!.next_attempt_at! > attempts[0]!.started_at);
    assert.ok(attempts.every((a) => a.duration_ms >= 0 && a.started_at instanceof Date));
  });
});

describe('per-webhook settings', () => {
  test("a webhook's own retry_schedule and timeout_ms replace the service-wide ones", async () => {
    const app = (await stack.request('POST', '/v1/apps', { name: 'Overrides' })).body.id as string;
    const created = await stack.request('POST', `/v1/apps/${app}/webhooks`, {
      url: receiver.url,
      events: ['message_sent'],
      retry_schedule: '1s',
      timeout_ms: 1_000,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.retry_schedule, created.body.timeout_ms], ['1s', 1_000]);
    receiver.answer({ status: 200, delayMs: 2_500 }, { status: 500 });
    const before = receiver.requests.length;
    const { result, event } = await post(app);
    // The service-wide schedule (1s,1s,1s) would allow four attempts; this webhook's allows two.
    assert.equal(receiver.requests.length - before, 2);
    assert.equal(result.deliveries[0]!.status, 'failed');
    const [delivery] = await listDeliveriesForEvent(stack.db.pool, app, String(event.id));
    const attempts = await listAttempts(stack.db.pool, delivery!.id);
    assert.equal(attempts[0]!.error_class, 'timeout');
    assert.ok(
      attempts[0]!.duration_ms >= 900 && attempts[0]!.duration_ms < 2_400,
      `timed out after ${attempts[0]!.duration_ms} ms`,
    );

    const reset = await stack.request('PATCH', `/v1/apps/${app}/webhooks/${created.body.id}`, {
      retry_schedule: null,
      timeout_ms: null,
    });
    assert.deepEqual([reset.body.retry_schedule, reset.body.timeout_ms], [null, null]);
    const bad = await stack.request('PATCH', `/v1/apps/${app}/webhooks/${created.body.id}`, {
      retry_schedule: '5s,soon',
      timeout_ms: 60_000,
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.details.map((d: { field: string }) => d.field).sort(), [
      'retry_schedule',
      'timeout_ms',
    ]);
  });
});

describe('endpoint health', () => {
  test('a webhook failing throughout ENDPOINT_DISABLE_AFTER is disabled with reason failing; a success resets the clock', async () => {
    const { appId, webhookId } = await stack.createAppWithWebhook(receiver.url);
    await setAlertUrl(appId, alerts.url);
    receiver.answer({ status: 500 });
    await post(appId);
    assert.equal((await webhookRow(webhookId)).failing_since, null, 'the success after the failure cleared the run');

    receiver.setDefault({ status: 500 });
    try {
      const alertsBefore = alerts.requests.length;
      const { result } = await post(appId);
      // Attempts at 0, ~1, ~2 s: the third fails after more than 1.5 s of failures and trips the switch.
      assert.equal(result.deliveries[0]!.status, 'failed');
      assert.match(result.deliveries[0]!.error ?? '', /webhook disabled \(failing\)/);
      const row = await webhookRow(webhookId);
      assert.deepEqual([row.enabled, row.disabled_reason], [false, 'failing']);
      await alerts.waitForRequests(alertsBefore + 1);
      assert.equal(JSON.parse(alerts.requests[alertsBefore]!.body).reason, 'failing');
    } finally {
      receiver.setDefault({ status: 200, body: '{"ok":true}' });
    }
  });
});

describe('isolation', () => {
  test('an endpoint that hangs does not delay deliveries to a healthy one, and never has more than 10 requests in flight', async () => {
    const hanging = await startReceiver();
    hanging.setDefault({ hang: true });
    const slow = await startStack({ retrySchedule: '1s', deliveryTimeoutMs: 3_000, maxInFlightPerEndpoint: 10 });
    try {
      const stuck = await slow.createAppWithWebhook(hanging.url);
      const healthy = await slow.createAppWithWebhook(receiver.url);
      const healthyBefore = receiver.requests.length;
      // Forty events pile onto the hanging endpoint first, then 200 go to the healthy one.
      await Promise.all(
        Array.from({ length: 40 }, () => slow.request('POST', `/v1/apps/${stuck.appId}/events`, messageEvent())),
      );
      const started = Date.now();
      const posts = await Promise.all(
        Array.from({ length: 200 }, () => slow.request('POST', `/v1/apps/${healthy.appId}/events`, messageEvent())),
      );
      assert.ok(posts.every((p) => p.status === 202));
      // The bound is generous: this is a correctness test, not a benchmark.
      await receiver.waitForRequests(healthyBefore + 200, 90_000);
      const tookMs = Date.now() - started;
      assert.ok(tookMs < 90_000, `all 200 arrived in ${tookMs} ms`);
      assert.ok(hanging.maxOpen() <= 10, `the hanging endpoint had at most 10 requests open, saw ${hanging.maxOpen()}`);
      assert.ok(hanging.requests.length >= 10, 'the hanging endpoint was being tried meanwhile');
    } finally {
      await slow.close();
      await hanging.close();
    }
  });
});
