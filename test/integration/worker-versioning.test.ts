/**
 * Worker Versioning on the production stack (support/production-stack.ts): a rollout from one worker build to the
 * next while a delivery is retrying, done the way the README's "Rolling out a new worker version" says, with the
 * Temporal CLI.
 *
 * - The stack's first worker makes its version current by itself (TEMPORAL_WORKER_PROMOTE=auto), named by the hash
 *   of its workflow bundle.
 * - A second build (TEMPORAL_WORKER_PROMOTE=manual) polls but gets nothing new until `temporal worker deployment
 *   set-current-version` makes it current; then new events run on it.
 * - An event that started on the first build, and is retrying, stays pinned to it and finishes there; the first
 *   build's worker restarting does not take routing back.
 * - Another retrying event, left behind when the first build's worker stops before its version drained, waits, and is
 *   moved to the second build by the README's `temporal workflow update-options` batch; the first version drains.
 * - Conversation timers are AUTO_UPGRADE.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

import { createChatWebhooksClient, ok } from '../../src/client';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { chatEventWorkflowId, conversationWorkflowId, WorkflowType } from '../../src/temporal/contracts';
import { findTemporalCli } from '../../src/temporal/dev-server';
import { currentBuildId, describeVersion, versionLabel, workflowBuildId } from '../../src/temporal/worker-deployment';
import { type ProductionStack, startProductionStack } from '../../support/production-stack';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let stack: ProductionStack;
let held: Receiver;
let stranded: Receiver;
let flowing: Receiver;
let connection: Connection;
let client: Client;

before(
  async () => {
    // `held` refuses until the test lets it through: its event keeps retrying on the first build meanwhile.
    held = await startReceiver();
    held.setDefault({ status: 503, body: '{"error":"not yet"}' });
    // `stranded`, likewise, for an event left on the first build after its workers are gone.
    stranded = await startReceiver();
    stranded.setDefault({ status: 503, body: '{"error":"not yet"}' });
    flowing = await startReceiver();
    stack = await startProductionStack({
      apis: 1,
      workers: 1,
      ui: false,
      env: {
        ALLOW_HTTP_WEBHOOKS: 'true',
        DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
        PG_POOL_MAX: '4',
        RETRY_SCHEDULE: Array.from({ length: 100 }, () => '1s').join(','),
      },
      // Drainage is worked out every 3 minutes by default; seconds here.
      dynamicConfig: {
        'matching.wv.VersionDrainageStatusRefreshInterval': '2s',
        'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '2s',
      },
    });
    connection = await Connection.connect({ address: stack.temporalAddress });
    client = new Client({ connection, namespace: stack.namespace });
  },
  { timeout: 30 * 60_000 },
);
after(async () => {
  await connection?.close();
  await stack?.stop();
  await held?.close();
  await stranded?.close();
  await flowing?.close();
});

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      // Not there yet (a workflow not started, say); the last error is told if it never comes.
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}`);
    await sleep(300);
  }
}

async function versioningOf(workflowId: string) {
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  const info = raw.workflowExecutionInfo?.versioningInfo;
  const behavior = info?.behavior ? temporal.api.enums.v1.VersioningBehavior[info.behavior] : undefined;
  return { behavior, buildId: info?.deploymentVersion?.buildId ?? undefined };
}

/** The build ids that completed this workflow's tasks, from its history. */
async function taskBuildIds(workflowId: string): Promise<Set<string>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return new Set(
    (history.events ?? []).flatMap((e) => {
      const buildId = e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId;
      return buildId ? [buildId] : [];
    }),
  );
}

test(
  'a new worker build takes new events once made current; a retrying event finishes on the build it started on',
  { timeout: 10 * 60_000 },
  async () => {
    const deployment = stack.workerDeployment;
    const api = createChatWebhooksClient({ baseUrl: stack.apiUrls[0]!, apiKey: stack.adminApiKey });
    const appWithHook = async (name: string, url: string) => {
      const app = ok(await api.POST('/v1/apps', { body: { name } }));
      ok(
        await api.POST('/v1/apps/{app_id}/webhooks', {
          params: { path: { app_id: app.id } },
          body: { url, events: ['user_signup', 'message_sent'] },
        }),
      );
      return app.id;
    };
    const heldApp = await appWithHook('Held', held.url);
    const strandedApp = await appWithHook('Stranded', stranded.url);
    const flowApp = await appWithHook('Flowing', flowing.url);
    const send = async (appId: string, id: string, extra: Record<string, unknown> = {}) => {
      const sent = await api.POST('/v1/apps/{app_id}/events', {
        params: { path: { app_id: appId } },
        body: { id, type: 'user_signup', user: { email: `${id}@example.com`, logged_in: true }, ...extra } as never,
      });
      assert.equal(sent.response.status, 202, JSON.stringify(sent.error));
      return chatEventWorkflowId(appId, id);
    };
    const completed = (workflowId: string) =>
      until(`${workflowId} completed`, 60_000, async () => {
        const { status } = await client.workflow.getHandle(workflowId).describe();
        return status.name === 'COMPLETED';
      });

    // 1. The first build made itself current, named by its bundle's code.
    const v1 = workflowBuildId(fs.readFileSync(stack.env.WORKFLOW_BUNDLE_PATH!, 'utf8'));
    assert.match(v1, /^wf-[0-9a-f]{12}$/);
    assert.equal((await currentBuildId(connection, stack.namespace, deployment)).buildId, v1);
    const worker1 = stack.processes.workers[0]!;
    assert.match(worker1.currentOutput(), /"outcome":"promoted"|"outcome":"current"/);

    // 2. An event on v1 that keeps retrying, and a conversation.
    const heldWorkflow = await send(heldApp, 'held-1');
    const strandedWorkflow = await send(strandedApp, 'stranded-1');
    await held.waitForRequests(1, 60_000);
    // Recorded when its first workflow task completes, which made that first attempt.
    await until('the held event pinned to v1', 30_000, async () => {
      const v = await versioningOf(heldWorkflow);
      return v.behavior === 'VERSIONING_BEHAVIOR_PINNED' && v.buildId === v1;
    });
    await api.POST('/v1/apps/{app_id}/events', {
      params: { path: { app_id: flowApp } },
      body: {
        id: 'message-1',
        type: 'message_sent',
        conversation_id: 'conversation-1',
        message: 'hello',
        response: 'hi',
        user: { email: 'talker@example.com', logged_in: true },
      },
    });
    const conversationId = conversationWorkflowId(flowApp, 'conversation-1');
    await until('the conversation behaviour recorded', 30_000, async () => {
      const v = await versioningOf(conversationId);
      return v.behavior === 'VERSIONING_BEHAVIOR_AUTO_UPGRADE' && v.buildId === v1;
    });

    // 3. A second build, promoted by hand: it polls, but v1 stays current and takes new events.
    const v2 = 'v2-rollout-test';
    const worker2 = await stack.addWorker('worker-v2', {
      TEMPORAL_WORKER_BUILD_ID: v2,
      TEMPORAL_WORKER_PROMOTE: 'manual',
    });
    await until('v2 registered', 60_000, () =>
      describeVersion(connection, stack.namespace, { deploymentName: deployment, buildId: v2 }),
    );
    await until('worker-v2 told what it waits for', 30_000, async () =>
      /"outcome":"manual"/.test(worker2.currentOutput()),
    );
    const before = await send(flowApp, 'before-rollout');
    await completed(before);
    assert.deepEqual(await taskBuildIds(before), new Set([v1]));

    // 4. The rollout, as the README gives it.
    const cli = findTemporalCli()!;
    assert.ok(cli, 'the Temporal CLI (setup.sh installs it)');
    await execFileAsync(cli, [
      'worker',
      'deployment',
      'set-current-version',
      '--deployment-name',
      deployment,
      '--build-id',
      v2,
      '--address',
      stack.temporalAddress,
      '--namespace',
      stack.namespace,
      '--yes',
    ]);
    assert.equal((await currentBuildId(connection, stack.namespace, deployment)).buildId, v2);
    const afterRollout = await send(flowApp, 'after-rollout');
    await completed(afterRollout);
    assert.deepEqual(await taskBuildIds(afterRollout), new Set([v2]));
    assert.deepEqual(await versioningOf(afterRollout), { behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: v2 });

    // The held event is still on v1, and the query the README gives for what v1 still runs finds it.
    assert.deepEqual(await versioningOf(heldWorkflow), { behavior: 'VERSIONING_BEHAVIOR_PINNED', buildId: v1 });
    const onV1: string[] = [];
    await until('visibility lists what v1 runs', 30_000, async () => {
      onV1.length = 0;
      for await (const wf of client.workflow.list({
        query: `TemporalWorkerDeploymentVersion = '${versionLabel({ deploymentName: deployment, buildId: v1 })}' AND ExecutionStatus = 'Running' AND WorkflowType = '${WorkflowType.chatEvent}'`,
      }))
        onV1.push(wf.workflowId);
      return onV1.length === 2;
    });
    assert.deepEqual(onV1.sort(), [heldWorkflow, strandedWorkflow].sort());

    // 5. v1's worker dies and comes back: it does not take routing back (auto promotes new versions only).
    await worker1.kill('SIGKILL');
    await worker1.start();
    await until('worker-1 told it left routing alone', 60_000, async () =>
      /"outcome":"not-new"/.test(worker1.currentOutput()),
    );
    assert.equal((await currentBuildId(connection, stack.namespace, deployment)).buildId, v2);

    // 6. The held receiver recovers: the event finishes on v1, every task of it done by v1.
    const attemptsBefore = held.requests.length;
    held.setDefault({ status: 200, body: '{"ok":true}' });
    await completed(heldWorkflow);
    assert.ok(held.requests.length > attemptsBefore);
    assert.deepEqual(await taskBuildIds(heldWorkflow), new Set([v1]));
    const v2Pid = String(worker2.pid);
    const history = await client.workflow.getHandle(heldWorkflow).fetchHistory();
    for (const e of history.events ?? []) {
      const identity = e.activityTaskStartedEventAttributes?.identity;
      if (identity) assert.ok(!identity.startsWith(`${v2Pid}@`), `v2 (pid ${v2Pid}) ran an attempt of the v1 event`);
    }

    // v1 still has a pinned workflow open (the stranded one): it is draining, not drained.
    await until('v1 draining', 60_000, async () => {
      const state = await describeVersion(connection, stack.namespace, { deploymentName: deployment, buildId: v1 });
      return state?.status === 'draining';
    });

    // 7. v1's worker goes before v1 has drained, as an in-place replacement would do. Its pinned event waits, even
    // with its receiver healthy again, until the README's batch command moves it to v2.
    await worker1.close();
    stranded.setDefault({ status: 200, body: '{"ok":true}' });
    const strandedAttempts = stranded.requests.length;
    await sleep(4_000);
    assert.equal((await client.workflow.getHandle(strandedWorkflow).describe()).status.name, 'RUNNING');
    assert.equal(stranded.requests.length, strandedAttempts, 'no worker of v1 is left to try it');
    await execFileAsync(cli, [
      'workflow',
      'update-options',
      '--query',
      `TemporalWorkerDeploymentVersion = '${versionLabel({ deploymentName: deployment, buildId: v1 })}' AND ExecutionStatus = 'Running'`,
      '--versioning-override-behavior',
      'pinned',
      '--versioning-override-deployment-name',
      deployment,
      '--versioning-override-build-id',
      v2,
      '--reason',
      'v1 workers are gone',
      '--address',
      stack.temporalAddress,
      '--namespace',
      stack.namespace,
      '--yes',
    ]);
    await completed(strandedWorkflow);
    const strandedBuilds = await taskBuildIds(strandedWorkflow);
    assert.ok(
      strandedBuilds.has(v1) && strandedBuilds.has(v2),
      `started on v1, finished on v2: ${[...strandedBuilds]}`,
    );

    // 8. With nothing pinned to it open, v1 drains; v2 carries on alone.
    await until('v1 drained', 120_000, async () => {
      const state = await describeVersion(connection, stack.namespace, { deploymentName: deployment, buildId: v1 });
      return state?.status === 'drained';
    });
    const last = await send(flowApp, 'after-v1-stopped');
    await completed(last);
    assert.deepEqual(await taskBuildIds(last), new Set([v2]));

    // Every event reached its receiver; the conversation timer, AUTO_UPGRADE, is open and follows the current version.
    const flowed = await flowing.waitForRequests(4, 30_000);
    assert.ok(flowed.every((r) => r.signature !== 'invalid'));
    assert.deepEqual(stack.unexpectedExits(), []);
  },
);
