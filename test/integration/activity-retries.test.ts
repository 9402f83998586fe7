/**
 * An attempt's activity can run more than once: Temporal retries it when the worker that ran it died, or when the
 * server restarted before hearing the result, and the first execution may even finish after the second started.
 * These tests run the real deliverWebhook activity a second time against the real delivery log, the way such a retry
 * would, and check that the log stays numbered and truthful and the receiver is not called for nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createDeliverWebhookActivities, createDeliveryAttempts } from '../../activities/deliver-webhook';
import { findDelivery, listAttempts, listDeliveriesForEvent, recordAttempt } from '../../src/db/queries/deliveries';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createDeliveryAgent } from '../../src/outbound/delivery-agent';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;
let agent: ReturnType<typeof createDeliveryAgent>;
let activities: ReturnType<typeof createDeliverWebhookActivities>;

before(async () => {
  // A long retry delay: a delivery that failed once stays pending for the whole test.
  stack = await startStack({ retrySchedule: '1h' });
  receiver = await startReceiver();
  const destination = { allowHttp: true, allowedCidrs: ['127.0.0.0/8', '::1/128'] };
  agent = createDeliveryAgent({ policy: destination, connectTimeoutMs: 5_000 });
  const deps = {
    db: stack.db.pool,
    secrets: stack.secrets,
    http: { dispatcher: agent },
    delivery: {
      timeoutMs: 5_000,
      disableAfterMs: 5 * 86_400_000,
      maxInFlightPerEndpoint: 10,
    },
    destination,
    logger: createLogger('silent'),
    metrics: createMetrics(),
  };
  activities = createDeliverWebhookActivities(deps, createDeliveryAttempts(deps));
});
after(async () => {
  await agent.close();
  await receiver.close();
  await stack.close();
});

async function post(appId: string): Promise<{ workflowId: string; eventId: string }> {
  const event = messageEvent();
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return { workflowId: res.body.workflow_id, eventId: String(event.id) };
}

test('a finished delivery is not sent again by a retried or stale attempt, and its log keeps its numbering', async () => {
  const { appId } = await stack.createAppWithWebhook(receiver.url);
  const { workflowId, eventId } = await post(appId);
  await stack.client.workflow.getHandle(workflowId).result();
  const [delivery] = await listDeliveriesForEvent(stack.db.pool, appId, eventId);
  assert.equal(delivery!.status, 'succeeded');
  const sentBefore = receiver.requests.length;

  // The same attempt again (its completion never reached Temporal), then a later one (a stale workflow view).
  for (const attempt of [1, 2]) {
    const result = await activities.deliverWebhook({
      deliveryId: delivery!.id,
      attempt,
      retryIndex: attempt - 1,
      timeoutMs: 5_000,
      retryScheduleMs: [3_600_000],
    });
    assert.deepEqual(result, { kind: 'final', status: 'succeeded', attempt: 1, statusCode: 200, error: null });
  }
  assert.equal(receiver.requests.length, sentBefore, 'the receiver was not called again');
  assert.deepEqual(
    (await listAttempts(stack.db.pool, delivery!.id)).map((a) => a.attempt),
    [1],
  );
  const after = await findDelivery(stack.db.pool, appId, delivery!.id);
  assert.equal(after!.attempt_count, 1);
  assert.equal(after!.status, 'succeeded');
});

test('an attempt already recorded as failed answers its recorded retry without sending again', async () => {
  const { appId } = await stack.createAppWithWebhook(receiver.url);
  receiver.answer({ status: 500 });
  const sentBefore = receiver.requests.length;
  const { workflowId, eventId } = await post(appId);
  await receiver.waitForRequests(sentBefore + 1);
  let delivery = (await listDeliveriesForEvent(stack.db.pool, appId, eventId))[0]!;
  for (let i = 0; delivery.attempt_count < 1 && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    delivery = (await listDeliveriesForEvent(stack.db.pool, appId, eventId))[0]!;
  }
  assert.equal(delivery.status, 'pending');
  assert.equal(delivery.attempt_count, 1);

  const result = await activities.deliverWebhook({
    deliveryId: delivery.id,
    attempt: 1,
    retryIndex: 0,
    timeoutMs: 5_000,
    retryScheduleMs: [3_600_000],
  });
  assert.equal(result.kind, 'retry');
  if (result.kind === 'retry') {
    assert.equal(result.attempt, 1);
    assert.equal(result.statusCode, 500);
    // The recorded next attempt (about an hour away, with jitter), not a fresh delay.
    assert.ok(result.retryInMs > 40 * 60_000 && result.retryInMs <= 72 * 60_000, String(result.retryInMs));
  }
  assert.equal(receiver.requests.length, sentBefore + 1, 'the receiver was not called again');
  assert.deepEqual(
    (await listAttempts(stack.db.pool, delivery.id)).map((a) => a.status_code),
    [500],
  );
  await stack.client.workflow.getHandle(workflowId).terminate('test over');
});

test('an attempt that arrives after the delivery finished leaves no row and no state change', async () => {
  const { appId } = await stack.createAppWithWebhook(receiver.url);
  const { workflowId, eventId } = await post(appId);
  await stack.client.workflow.getHandle(workflowId).result();
  const [delivery] = await listDeliveriesForEvent(stack.db.pool, appId, eventId);

  // What a late execution of attempt 1, whose receiver answered 500, would write after attempt 1 succeeded.
  const late = {
    started_at: new Date(),
    duration_ms: 3,
    status_code: 500,
    error_class: 'http_status',
    error_message: 'HTTP 500',
    response_headers: null,
    response_excerpt: null,
  };
  assert.equal(
    await recordAttempt(stack.db.pool, {
      delivery_id: delivery!.id,
      attempt: 1,
      ...late,
      next_attempt_at: new Date(Date.now() + 5_000),
      status: 'pending',
    }),
    false,
  );
  assert.equal(
    await recordAttempt(stack.db.pool, {
      delivery_id: delivery!.id,
      attempt: 2,
      ...late,
      next_attempt_at: null,
      status: 'failed',
    }),
    false,
  );
  const attempts = await listAttempts(stack.db.pool, delivery!.id);
  assert.deepEqual(
    attempts.map((a) => [a.attempt, a.status_code]),
    [[1, 200]],
  );
  const after = await findDelivery(stack.db.pool, appId, delivery!.id);
  assert.equal(after!.status, 'succeeded');
  assert.equal(after!.attempt_count, 1);
  assert.equal(after!.last_status_code, 200);
});
