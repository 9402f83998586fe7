/**
 * Workflows that stay safe to change. Histories recorded from real runs are replayed against the current workflow
 * code: a change that would break workflows already running (a new activity call, a reordered timer) fails here.
 *
 *   npm test -- test/integration/replay-histories.test.ts   replays the committed histories
 *   npm run histories:refresh                               records them anew (after an intended, patched change)
 *
 * Record anew only when the change is safe for running workflows: wrap behaviour changes in `patched()` (see README).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';

import { PACKAGE_ROOT } from '../../src/package-root';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { parsePayloadKeys, payloadDataConverter, type PayloadKey } from '../../src/temporal/codec';
import { findTemporalCli } from '../../src/temporal/dev-server';
import { type FakeLlm, startFakeLlm } from '../../support/fake-llm';
import { messageEvent, type Stack, startStack, temporalAddress } from '../helpers/stack';

const DIR = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'histories');
const NAMES = ['delivered-event', 'retried-event', 'custom-condition-event', 'recovery', 'conversation-idle'] as const;
/**
 * Histories recorded by earlier workflow code, kept for good: workflows like them may still be running somewhere, so
 * they must replay forever. `v1/`: before prepare-event-locally (prepareDeliveries, evaluateConditions and
 * touchConversation as separate activities) and idle-from-database (conversation timers kept alive by a signal per
 * message; conversation-signals.json was recorded from that code, 94ff02f, as it ends a conversation on idleness).
 */
const LEGACY = [
  {
    dir: 'v1',
    names: ['delivered-event', 'retried-event', 'custom-condition-event', 'recovery', 'conversation-signals'],
  },
  // Recorded before the payload codec: clear payloads, which the codec passes through.
  { dir: 'v2', names: NAMES },
];
/**
 * The key the committed histories were encrypted with when recorded (test data, nothing else uses it): replaying them
 * needs the same codec as the workers that wrote them.
 */
const FIXTURE_PAYLOAD_KEYS = fs.readFileSync(path.join(DIR, 'payload-keys.txt'), 'utf8').trim();
const refresh = process.env.REFRESH_HISTORIES === '1';
const run = promisify(execFile);

let stack: Stack;
let receiver: Receiver;
let llm: FakeLlm;

before(async () => {
  if (!refresh) return;
  llm = await startFakeLlm();
  llm.setResponder((req) => ({
    verdicts: [...req.body.messages.find((m) => m.role === 'user')!.content.matchAll(/"id":\s*"([^"]+)"/g)].map(
      (m) => ({
        condition_id: m[1]!,
        matched: true,
        reason: 'The user asked about pricing.',
      }),
    ),
  }));
  stack = await startStack({
    retrySchedule: '1s',
    llmBaseUrl: llm.baseUrl,
    conversationIdleMs: 2_000,
    payloadKeys: FIXTURE_PAYLOAD_KEYS,
  });
  receiver = await startReceiver();
});
after(async () => {
  if (!refresh) return;
  await receiver.close();
  await stack.close();
  await llm.close();
});

/** Saves a finished workflow's history as the CLI exports it (`temporal workflow show -o json`), the SDK's format. */
async function record(name: (typeof NAMES)[number], workflowId: string): Promise<void> {
  await stack.client.workflow.getHandle(workflowId).result();
  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  assert.ok(cli, 'recording needs the temporal CLI');
  const { stdout } = await run(
    cli,
    ['workflow', 'show', '--workflow-id', workflowId, '--address', temporalAddress(), '--output', 'json'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(path.join(DIR, `${name}.json`), `${JSON.stringify(JSON.parse(stdout), null, 1)}\n`);
}

test(
  'record histories from real runs',
  { skip: !refresh && 'set REFRESH_HISTORIES=1 (npm run histories:refresh) to record anew' },
  async () => {
    const app = await stack.createAppWithWebhook(receiver.url);
    const post = async (event: Record<string, unknown>, appId = app.appId) =>
      (await stack.request('POST', `/v1/apps/${appId}/events`, event)).body.workflow_id as string;

    await record('delivered-event', await post(messageEvent()));
    receiver.answer({ status: 500 });
    await record('retried-event', await post(messageEvent()));

    const withCondition = await stack.createAppWithWebhook(receiver.url, {
      events: ['custom_condition', 'message_sent'],
      conditions: [{ prompt: 'When a user asks about pricing or costs' }],
    });
    await record(
      'custom-condition-event',
      await post(messageEvent({ message: 'How much is it?' }), withCondition.appId),
    );

    receiver.answer({ status: 500 }, { status: 500 });
    await post(messageEvent());
    const recovery = await stack.request('POST', `/v1/apps/${app.appId}/webhooks/${app.webhookId}/recover`, {
      since: '1h',
    });
    await record('recovery', recovery.body.workflow_id);

    // A conversation whose idle timer fires while it is still active (a second message came), waits out the rest of the
    // idle time, then ends it.
    const conversationId = 'conv_idle';
    await post(messageEvent({ conversation_id: conversationId }));
    await new Promise((r) => setTimeout(r, 1_000));
    await post(messageEvent({ conversation_id: conversationId }));
    await record('conversation-idle', `conversation:${app.appId}:${conversationId}`);
  },
);

test('the histories recorded since the codec hold no clear payload', () => {
  for (const name of NAMES) {
    const text = fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8');
    assert.doesNotMatch(text, /User message|App response message|user@example\.com|John Doe/, name);
    assert.match(text, new RegExp(Buffer.from('binary/encrypted').toString('base64')), name);
  }
});

test('committed histories replay against the current workflow code', async () => {
  const files = [
    ...NAMES.map((name) => path.join(DIR, `${name}.json`)),
    ...LEGACY.flatMap(({ dir, names }) => names.map((name) => path.join(DIR, dir, `${name}.json`))),
  ];
  for (const file of files)
    assert.ok(fs.existsSync(file), `missing ${path.relative(PACKAGE_ROOT, file)}: run npm run histories:refresh`);
  const histories = files.map((file) => ({
    workflowId: path.relative(DIR, file),
    history: historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8'))),
  }));
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  assert.ok(bundlePath, 'run with npm test, which prebuilds the workflow bundle');
  const results = [];
  const keys = parsePayloadKeys(FIXTURE_PAYLOAD_KEYS) as PayloadKey[];
  const options = { workflowBundle: { codePath: bundlePath }, dataConverter: payloadDataConverter(keys) };
  for await (const result of Worker.runReplayHistories(options, histories)) results.push(result);
  assert.equal(results.length, files.length);
  for (const result of results) assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
});
