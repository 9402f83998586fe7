/**
 * The fast path (first-attempt-locally): an event's first attempts are made inside its first workflow task, and what
 * they leave undone goes on as before. Each test reads the workflow's history, because that is what the engine pays.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { temporal } from '@temporalio/proto';

import { listAttempts, listDeliveriesForEvent } from '../../src/db/queries/deliveries';
import type { ChatEventResult } from '../../src/domain/delivery';
import { SearchAttributes } from '../../src/domain/search-attributes';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

const E = temporal.api.enums.v1.EventType;

let stack: Stack;
let receiver: Receiver;

before(async () => {
  stack = await startStack({ retrySchedule: '1s,1s', maxInFlightPerEndpoint: 1 });
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await stack.close();
});

async function post(appId: string, event: Record<string, unknown>): Promise<string> {
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.workflow_id as string;
}

/** The result, and what the history counts: workflow tasks, activity tasks, local activities, events. */
async function outcome(workflowId: string) {
  const handle = stack.client.workflow.getHandle(workflowId);
  const result: ChatEventResult = await handle.result();
  const events = (await handle.fetchHistory()).events ?? [];
  const count = (type: number) => events.filter((e) => e.eventType === type).length;
  const description = await handle.describe();
  return {
    result,
    workflowTasks: count(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activityTasks: count(E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    activityTypes: events
      .filter((e) => e.eventType === E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name),
    localActivities: events.filter(
      (e) =>
        e.eventType === E.EVENT_TYPE_MARKER_RECORDED &&
        e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
    ).length,
    historyEvents: events.length,
    searchAttributes: description.typedSearchAttributes,
  };
}

test('an event whose deliveries succeed at once completes in one workflow task, with no activity task', async () => {
  // Two endpoints: this stack lets one endpoint have a single request in flight.
  const other = await startReceiver();
  const app = await stack.createAppWithWebhook(receiver.url);
  const second = await stack.api.POST('/v1/apps/{app_id}/webhooks', {
    params: { path: { app_id: app.appId } },
    body: { url: other.url, events: ['message_sent'] },
  });
  assert.equal(second.response.status, 201);
  const before = receiver.requests.length;
  const event = messageEvent();
  const o = await outcome(await post(app.appId, event));

  assert.deepEqual(
    o.result.deliveries.map((d) => [d.status, d.attempts, d.statusCode]),
    [
      ['succeeded', 1, 200],
      ['succeeded', 1, 200],
    ],
  );
  assert.equal(receiver.requests.length, before + 1);
  assert.equal(other.requests.length, 1);
  await other.close();
  assert.equal(o.workflowTasks, 1);
  assert.equal(o.activityTasks, 0);
  assert.equal(o.localActivities, 1, 'prepareEvent prepares and makes both first attempts');
  // Search attributes: set once, at the end, in the same task.
  assert.equal(o.searchAttributes.get(SearchAttributes.DeliveryState), 'delivered');
  assert.deepEqual(
    [...(o.searchAttributes.get(SearchAttributes.WebhookIds) ?? [])].sort(),
    [app.webhookId, second.data!.id].sort(),
  );
  const deliveries = await listDeliveriesForEvent(stack.db.pool, app.appId, String(event.id));
  for (const d of deliveries) {
    assert.deepEqual([d.status, d.attempt_count], ['succeeded', 1]);
    const attempts = await listAttempts(stack.db.pool, d.id);
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.status_code]),
      [[1, 200]],
    );
  }
});

test('a first attempt that fails is retried on the durable path, numbered 2, after its timer', async () => {
  const app = await stack.createAppWithWebhook(receiver.url);
  const before = receiver.requests.length;
  receiver.answer({ status: 503, body: 'busy', headers: { 'retry-after': '1' } });
  const event = messageEvent();
  const o = await outcome(await post(app.appId, event));

  assert.deepEqual(
    o.result.deliveries.map((d) => [d.status, d.attempts, d.statusCode]),
    [['succeeded', 2, 200]],
  );
  const received = receiver.requests.slice(before);
  assert.equal(received.length, 2);
  assert.equal(received[0]!.headers['webhook-id'], received[1]!.headers['webhook-id']);
  const gapMs = received[1]!.receivedAt.getTime() - received[0]!.receivedAt.getTime();
  assert.ok(gapMs >= 900, `Retry-After: 1 was honoured, got ${gapMs} ms`);
  assert.deepEqual(o.activityTypes, ['deliverWebhook'], 'attempt 2 is an activity');
  assert.equal(o.workflowTasks, 3, 'the first task, the timer firing, the activity completing');
  assert.equal(o.searchAttributes.get(SearchAttributes.DeliveryState), 'delivered');
  assert.deepEqual(o.searchAttributes.get(SearchAttributes.WebhookIds), [app.webhookId]);
  const [delivery] = await listDeliveriesForEvent(stack.db.pool, app.appId, String(event.id));
  const attempts = await listAttempts(stack.db.pool, delivery!.id);
  assert.deepEqual(
    attempts.map((a) => [a.attempt, a.status_code]),
    [
      [1, 503],
      [2, 200],
    ],
  );
});

test('an endpoint already failing takes the durable path from its first attempt', async () => {
  const app = await stack.createAppWithWebhook(receiver.url);
  await stack.db.pool.query("UPDATE webhooks SET failing_since = now() - interval '1 minute' WHERE id = $1", [
    app.webhookId,
  ]);
  const o = await outcome(await post(app.appId, messageEvent()));
  assert.deepEqual(
    o.result.deliveries.map((d) => [d.status, d.attempts]),
    [['succeeded', 1]],
  );
  assert.deepEqual(o.activityTypes, ['deliverWebhook']);
  const row = await stack.db.pool.query('SELECT failing_since FROM webhooks WHERE id = $1', [app.webhookId]);
  assert.equal(row.rows[0].failing_since, null, 'the success cleared the run of failures');
});

test('an endpoint at its in-flight limit waits on the durable path without using up an attempt', async () => {
  // maxInFlightPerEndpoint is 1 here: while one request hangs for a second, the next event's first attempt is busy.
  const app = await stack.createAppWithWebhook(receiver.url);
  const before = receiver.requests.length;
  receiver.answer({ status: 200, delayMs: 1_500 });
  const first = await post(app.appId, messageEvent());
  await receiver.waitForRequests(before + 1);
  const second = await outcome(await post(app.appId, messageEvent()));
  assert.deepEqual(
    second.result.deliveries.map((d) => [d.status, d.attempts]),
    [['succeeded', 1]],
  );
  // Busy answers use up no attempt: the activity asks again after a short wait until the endpoint is free.
  assert.ok(second.activityTasks >= 1, 'attempt 1 was made as an activity');
  assert.ok(second.activityTypes.every((t) => t === 'deliverWebhook'));
  assert.ok(second.result.deliveries[0]!.attempts === 1);
  const [delivery] = await listDeliveriesForEvent(stack.db.pool, app.appId, second.result.eventId);
  assert.deepEqual(
    (await listAttempts(stack.db.pool, delivery!.id)).map((a) => a.attempt),
    [1],
  );
  const firstOutcome = await outcome(first);
  assert.equal(firstOutcome.activityTasks, 0);
  assert.ok(firstOutcome.workflowTasks >= 1);
});
