/**
 * Chat contents never reach Temporal in the clear: a finished event's raw history, read without the codec, holds no
 * message, response, email or name; the codec server (as the Temporal UI and CLI call it) shows them; workflows
 * started without the codec still run under it.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { ENCRYPTED_ENCODING } from '../../src/temporal/codec';
import { type Stack, startStack, temporalAddress } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;
let plainConnection: Connection;

before(async () => {
  stack = await startStack();
  receiver = await startReceiver();
  plainConnection = await Connection.connect({ address: temporalAddress() });
});

after(async () => {
  await plainConnection?.close();
  await receiver?.close();
  await stack?.close();
});

const secretWords = () => {
  const tag = crypto.randomBytes(4).toString('hex');
  return {
    message: `What does the platinum plan cost ${tag}?`,
    response: `Platinum is 99 dollars ${tag}.`,
    email: `ada.${tag}@example.com`,
    name: `Ada Lovelace ${tag}`,
  };
};

/** Every payload of a history, as the server stores them, with where it sits (e.g. `events.0.…input.payloads.0`). */
function payloadsOf(
  history: temporal.api.history.v1.IHistory,
): Array<{ path: string; payload: temporal.api.common.v1.IPayload }> {
  const found: Array<{ path: string; payload: temporal.api.common.v1.IPayload }> = [];
  const walk = (value: unknown, path: string) => {
    if (!value || typeof value !== 'object' || value instanceof Uint8Array) return;
    const v = value as Record<string, unknown>;
    if (v.metadata && typeof v.metadata === 'object' && 'data' in v) {
      found.push({ path, payload: v as temporal.api.common.v1.IPayload });
      return;
    }
    for (const [key, child] of Object.entries(v)) walk(child, path ? `${path}.${key}` : key);
  };
  walk(history, '');
  return found;
}

/**
 * Payloads that no codec sees, by design: search attributes (the server indexes them; they hold ids and states, no
 * personal data) and the SDK's own marker bookkeeping (patch ids, a local activity's sequence number and type).
 */
const CLEAR_BY_DESIGN = /\.searchAttributes\.|markerRecordedEventAttributes\.details\.(data|patch-data)\./;

const asJson = (p: temporal.api.common.v1.IPayload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

describe('payloads in Temporal', () => {
  test('a finished event is ciphertext in the raw history, and the codec server shows it to an operator', async () => {
    const app = await stack.createAppWithWebhook(receiver.url, { name: 'Private App' });
    const words = secretWords();
    const res = await stack.request('POST', `/v1/apps/${app.appId}/events`, {
      id: `evt_private_${crypto.randomBytes(4).toString('hex')}`,
      type: 'message_sent',
      conversation_id: 'conv_private',
      user: { id: 'u_private', email: words.email, name: words.name, logged_in: true },
      message: words.message,
      response: words.response,
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await stack.client.workflow.getHandle(res.body.workflow_id).result();
    const delivered = JSON.parse(receiver.requests.at(-1)!.body);
    assert.equal(delivered.last_message, words.message, 'the receiver gets the clear payload');

    // What anyone with access to Temporal (its UI without the codec, its database) sees.
    const plain = new Client({ connection: plainConnection });
    const history = await plain.workflow.getHandle(res.body.workflow_id).fetchHistory();
    const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    for (const word of Object.values(words)) {
      assert.equal(raw.includes(word), false, `"${word}" is not in the raw history`);
    }
    const payloads = payloadsOf(history);
    const encrypted = payloads.filter(({ path }) => !CLEAR_BY_DESIGN.test(path));
    assert.ok(encrypted.length >= 4, `payloads found: ${payloads.map((p) => p.path).join(', ')}`);
    for (const { path, payload } of encrypted) {
      assert.equal(Buffer.from(payload.metadata!.encoding!).toString(), ENCRYPTED_ENCODING, path);
    }
    assert.ok(
      encrypted.some(({ path }) => /markerRecordedEventAttributes\.details\.result\./.test(path)),
      'a local activity result (prepareEvent) is there, encrypted',
    );
    for (const { payload } of payloads.filter(({ path }) => CLEAR_BY_DESIGN.test(path))) {
      const clear = Buffer.from(payload.data ?? new Uint8Array()).toString();
      for (const word of Object.values(words)) assert.equal(clear.includes(word), false);
    }
    const started = history.events!.find((e) => e.workflowExecutionStartedEventAttributes)!;
    const input = started.workflowExecutionStartedEventAttributes!.input!.payloads!;
    // Before and after: an excerpt for the record.
    console.log(`raw input payload: ${JSON.stringify(asJson(input[0]!)).slice(0, 240)}…`);

    // The codec server, as the CLI calls it (--codec-auth "Bearer <key>").
    const decoded = await fetch(`${stack.apiUrl}/codec/decode`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${stack.codecKey}`,
        'content-type': 'application/json',
        'x-namespace': 'default',
      },
      body: JSON.stringify({ payloads: input.map(asJson) }),
    });
    assert.equal(decoded.status, 200);
    const body = (await decoded.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    const event = defaultPayloadConverter.fromPayload({
      metadata: Object.fromEntries(
        Object.entries(body.payloads[0]!.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
      ),
      data: Buffer.from(body.payloads[0]!.data, 'base64'),
    }) as Record<string, any>;
    console.log(`decoded through /codec/decode: ${JSON.stringify(event).slice(0, 240)}…`);
    assert.equal(event.message, words.message);
    assert.equal(event.user.email, words.email);

    // As the Temporal UI calls it: the codec key in the path, from its own origin, after a preflight.
    const preflight = await fetch(`${stack.apiUrl}/codec/${stack.codecKey}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:8233',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:8233');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /x-namespace/);
    const fromUi = await fetch(`${stack.apiUrl}/codec/${stack.codecKey}/decode`, {
      method: 'POST',
      headers: { origin: 'http://localhost:8233', 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: input.map(asJson) }),
    });
    assert.equal(fromUi.status, 200);
    assert.equal(fromUi.headers.get('access-control-allow-origin'), 'http://localhost:8233');
    const elsewhere = await fetch(`${stack.apiUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(elsewhere.headers.get('access-control-allow-origin'), null);

    // Encoding round-trips.
    const encoded = await fetch(`${stack.apiUrl}/codec/encode`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(encoded.status, 200);
    const reencoded = (await encoded.json()) as typeof body;
    assert.equal(Buffer.from(reencoded.payloads[0]!.metadata.encoding!, 'base64').toString(), ENCRYPTED_ENCODING);
  });

  test('the codec server refuses callers without its key, the admin key in a URL, and bodies that are not payloads', async () => {
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${stack.apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const empty = { payloads: [] };
    assert.equal((await post('/codec/decode', empty)).status, 401);
    assert.equal((await post('/codec/decode', empty, { authorization: 'Bearer nope' })).status, 401);
    assert.equal((await post(`/codec/${stack.adminKey}/decode`, empty)).status, 401, 'never the admin key in a path');
    assert.equal((await post('/codec/decode', empty, { authorization: `Bearer ${stack.adminKey}` })).status, 200);
    const auth = { authorization: `Bearer ${stack.codecKey}` };
    const bad = await post('/codec/decode', { payloads: [{ data: 'not base64!' }] }, auth);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as any).error.code, 'validation_failed');
    assert.equal((await post('/codec/decode', '{"payloads":', auth)).status, 400);
    const foreign = await post(
      '/codec/decode',
      {
        payloads: [
          {
            metadata: {
              encoding: Buffer.from(ENCRYPTED_ENCODING).toString('base64'),
              'encryption-key-id': Buffer.from('gone').toString('base64'),
            },
            data: crypto.randomBytes(40).toString('base64'),
          },
        ],
      },
      auth,
    );
    assert.equal(foreign.status, 422);
    assert.match(((await foreign.json()) as any).error.message, /key "gone"/);
    assert.ok(
      stack.logs.every((line) => !line.includes(stack.codecKey)),
      'the codec key never appears in a log line',
    );
  });

  test('a workflow started without the codec (before it existed) still runs and answers under it', async () => {
    const plain = new Client({ connection: plainConnection });
    const app = await stack.createAppWithWebhook(receiver.url, { name: 'Old App' });
    const res = await stack.request('POST', `/v1/apps/${app.appId}/events`, {
      id: `evt_old_${crypto.randomBytes(4).toString('hex')}`,
      type: 'user_signup',
      user: { email: 'old@example.com', logged_in: true },
    });
    assert.equal(res.status, 202);
    await stack.client.workflow.getHandle(res.body.workflow_id).result();
    // A recovery started in the clear, as an older API would have: the worker reads its input and records its result.
    const handle = await plain.workflow.start('recoverWebhookWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `recovery:plain:${crypto.randomBytes(4).toString('hex')}`,
      args: [
        {
          appId: app.appId,
          webhookId: app.webhookId,
          since: new Date(Date.now() - 3_600_000).toISOString(),
          until: new Date().toISOString(),
        },
      ],
    });
    const result = (await stack.client.workflow.getHandle(handle.workflowId).result()) as { done: boolean };
    assert.equal(result.done, true);
    const history = await plain.workflow.getHandle(handle.workflowId).fetchHistory();
    const started = history.events!.find((e) => e.workflowExecutionStartedEventAttributes)!;
    const input = started.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    assert.equal(Buffer.from(input.metadata!.encoding!).toString(), 'json/plain', 'the old input stays as it was');
  });
});
