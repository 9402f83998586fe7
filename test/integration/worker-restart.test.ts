import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { listAttempts, listDeliveriesForEvent } from '../../src/db/queries/deliveries';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;

before(async () => {
  // A long first delay, so the worker is certainly down while the retry timer runs.
  stack = await startStack({ retrySchedule: '4s' });
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await stack.close();
});

test('a delivery waiting for its retry completes after the worker is stopped and started again', async () => {
  const { appId } = await stack.createAppWithWebhook(receiver.url);
  const event = messageEvent();
  receiver.answer({ status: 500 });
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202);

  await receiver.waitForRequests(1);
  await stack.stopWorker();
  const [pending] = await listDeliveriesForEvent(stack.db.pool, appId, String(event.id));
  assert.equal(pending!.status, 'pending', 'the first attempt failed and the delivery waits for its retry');
  assert.ok(pending!.next_attempt_at, 'the next attempt time is recorded');

  // While no worker runs, the timer fires on the server, but nothing can be sent.
  await new Promise((r) => setTimeout(r, 5_000));
  assert.equal(receiver.requests.length, 1);

  await stack.startWorker();
  const result = await stack.client.workflow.getHandle(res.body.workflow_id).result();
  assert.equal(result.deliveries[0]!.status, 'succeeded');
  assert.equal(result.deliveries[0]!.attempts, 2);
  assert.equal(receiver.requests.length, 2);
  assert.equal(receiver.requests[0]!.headers['webhook-id'], receiver.requests[1]!.headers['webhook-id']);
  const [done] = await listDeliveriesForEvent(stack.db.pool, appId, String(event.id));
  assert.equal(done!.status, 'succeeded');
  assert.deepEqual(
    (await listAttempts(stack.db.pool, done!.id)).map((a) => a.status_code),
    [500, 200],
  );
});
