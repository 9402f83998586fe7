/**
 * Every workflow that works for an app carries the app as its fairness key, and a priority by who is waiting: a test
 * send or a replay (an owner watching) before live events, a recovery after them. The server (the suite's dev server,
 * started as dev mode starts it) has fairness on; what fairness does under a flood is the benchmark's to measure.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { Priority } from '@temporalio/common';

import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { conversationWorkflowId } from '../../src/temporal/contracts';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;

before(async () => {
  stack = await startStack({ conversationIdleMs: 60_000 });
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await stack.close();
});

async function priorityOf(workflowId: string): Promise<Priority> {
  const handle = stack.client.workflow.getHandle(workflowId);
  const d = await handle.describe();
  const p = d.raw.workflowExecutionInfo?.priority;
  return { priorityKey: p?.priorityKey ?? undefined, fairnessKey: p?.fairnessKey ?? undefined };
}

test('events, test sends, replays, recoveries and conversation timers carry the app as fairness key, with their priority', async () => {
  const { appId, webhookId } = await stack.createAppWithWebhook(receiver.url);
  const event = await stack.request('POST', `/v1/apps/${appId}/events`, messageEvent({ conversation_id: 'conv_f1' }));
  assert.equal(event.status, 202);
  await stack.client.workflow.getHandle(event.body.workflow_id).result();
  assert.deepEqual(await priorityOf(event.body.workflow_id), { priorityKey: 3, fairnessKey: appId });
  assert.deepEqual(await priorityOf(conversationWorkflowId(appId, 'conv_f1')), { priorityKey: 3, fairnessKey: appId });

  const testSend = await stack.request('POST', `/v1/apps/${appId}/webhooks/${webhookId}/test`);
  assert.equal(testSend.status, 200, JSON.stringify(testSend.body));
  const [delivery] = (
    await stack.db.pool.query('SELECT id, workflow_id FROM deliveries WHERE is_test AND app_id = $1', [appId])
  ).rows;
  assert.deepEqual(await priorityOf(delivery.workflow_id), { priorityKey: 2, fairnessKey: appId });

  const replay = await stack.request('POST', `/v1/apps/${appId}/deliveries/${delivery.id}/replay`);
  assert.equal(replay.status, 202, JSON.stringify(replay.body));
  assert.deepEqual(await priorityOf(replay.body.replay_workflow_id), { priorityKey: 2, fairnessKey: appId });

  const recovery = await stack.request('POST', `/v1/apps/${appId}/webhooks/${webhookId}/recover`, { since: '1h' });
  assert.equal(recovery.status, 202, JSON.stringify(recovery.body));
  assert.deepEqual(await priorityOf(recovery.body.workflow_id), { priorityKey: 4, fairnessKey: appId });
});
