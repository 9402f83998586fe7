/**
 * The production build, run as operators run it: `npm run build:server` (the server half of `npm run build`), then `chat-webhooks migrate`, `api` and `worker` as
 * separate processes with only environment variables, an event delivered through them, and SIGTERM stopping each
 * cleanly.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { Webhook } from 'standardwebhooks';

import type * as ClientModule from '../../src/client';
import { freePortForChild } from '../../src/net/free-port';
import { PACKAGE_ROOT } from '../../src/package-root';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { generateSecretsKey } from '../../src/security/secret-box';
import { createTemporalClient } from '../../src/temporal/client';
import { generatePayloadKeys, parsePayloadKeys } from '../../src/temporal/codec';
import { chatEventWorkflowId } from '../../src/temporal/contracts';
import { findLeaks, payloadKeyMaterial } from '../../support/log-leaks';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { temporalAddress } from '../helpers/stack';

const run = promisify(execFile);
// The compiled CLI itself, as the production image runs it (bin/ would pick the sources in a checkout).
const BIN = path.join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'index.js');

let db: TestDatabase;
let receiver: Receiver;
const children: ChildProcess[] = [];

before(async () => {
  // The server's build only: rebuilding the portal here would empty portal/dist under the browser tests beside.
  await run('npm', ['run', 'build:server'], { cwd: PACKAGE_ROOT });
  db = await createTestDatabase({ poolMax: 2 });
  receiver = await startReceiver();
});
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await receiver.close();
  await db.stop();
});

/** A bare environment: what a container gets, nothing inherited but PATH. */
function productionEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, NODE_ENV: 'production', LOG_LEVEL: 'info', ...extra };
}

function start(command: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, command], { env, cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${command}: no ${pattern} within ${timeoutMs} ms; output:\n${output}`)),
        timeoutMs,
      );
      const check = () => {
        if (pattern.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      check();
    });
  return { child, exited, waitFor, output: () => output };
}

/** The environment of a production api and worker over this file's database and the suite's Temporal. */
async function serviceEnv(): Promise<{ env: NodeJS.ProcessEnv; port: number; metricsPort: number; adminKey: string }> {
  const port = await freePortForChild();
  const metricsPort = await freePortForChild();
  const adminKey = `cwk_admin_${crypto.randomBytes(16).toString('hex')}`;
  const env = productionEnv({
    DATABASE_URL: db.url,
    PG_POOL_MAX: '3',
    TEMPORAL_ADDRESS: temporalAddress(),
    TEMPORAL_TASK_QUEUE: `prod-${crypto.randomBytes(4).toString('hex')}`,
    ADMIN_API_KEY: adminKey,
    SECRETS_KEY: generateSecretsKey(),
    TEMPORAL_PAYLOAD_KEYS: generatePayloadKeys(),
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    HOST: '127.0.0.1',
    ALLOW_HTTP_WEBHOOKS: 'true',
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    WORKFLOW_BUNDLE_PATH: path.join(PACKAGE_ROOT, 'dist', 'workflow-bundle.js'),
  });
  return { env, port, metricsPort, adminKey };
}

/**
 * The client as a platform backend gets it: `chat-webhooks/client`, resolved through the package's exports to the
 * build in dist/. (Required at run time, after the build; its types are the source's.)
 */
function builtClient(port: number, adminKey: string) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const client = require('chat-webhooks/client') as typeof ClientModule;
  return { ...client, api: client.createChatWebhooksClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: adminKey }) };
}

test('api and worker refuse to start without their required values, and name them', async () => {
  for (const [command, names] of [
    ['api', ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'ADMIN_API_KEY', 'SECRETS_KEY', 'TEMPORAL_PAYLOAD_KEYS']],
    ['worker', ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SECRETS_KEY', 'TEMPORAL_PAYLOAD_KEYS']],
    ['migrate', ['DATABASE_URL']],
  ] as const) {
    const proc = start(command, productionEnv({}));
    assert.equal(await proc.exited, 2, proc.output());
    for (const name of names) assert.match(proc.output(), new RegExp(name), `${command} names ${name}`);
  }
});

test('migrate, api and worker from the build deliver an event, and stop cleanly on SIGTERM', async () => {
  // A database with no tables yet: migrate must create them.
  await db.pool.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  const { env, port, metricsPort, adminKey } = await serviceEnv();

  const migrate = start('migrate', env);
  assert.equal(await migrate.exited, 0, migrate.output());
  assert.match(migrate.output(), /migrations applied/);
  const again = start('migrate', env);
  assert.equal(await again.exited, 0, again.output());
  assert.match(again.output(), /database is up to date/);

  const worker = start('worker', env);
  const api = start('api', env);
  await Promise.all([worker.waitFor(/worker running/), api.waitFor(/api listening/)]);

  const { api: chat, ok } = builtClient(port, adminKey);
  const app = ok(await chat.POST('/v1/apps', { body: { name: 'Prod App' } }));
  const hook = ok(
    await chat.POST('/v1/apps/{app_id}/webhooks', {
      params: { path: { app_id: app.id } },
      body: { url: receiver.url, events: ['user_signup'] },
    }),
  );
  const event = await chat.POST('/v1/apps/{app_id}/events', {
    params: { path: { app_id: app.id } },
    body: { id: 'signup-1', type: 'user_signup', user: { email: 'a@b.co', logged_in: true } },
  });
  assert.equal(event.response.status, 202);
  assert.equal(event.data?.status, 'accepted');

  const [req] = await receiver.waitForRequests(1);
  const payload = new Webhook(hook.secret).verify(req!.body, req!.headers as Record<string, string>) as Record<
    string,
    unknown
  >;
  assert.equal(payload.event, 'New user signup');
  assert.equal(payload.app_name, 'Prod App');
  assert.equal(payload.user_email, 'a@b.co');

  // A message with everything a user may say about themselves, through the same processes.
  const chatHook = ok(
    await chat.POST('/v1/apps/{app_id}/webhooks', {
      params: { path: { app_id: app.id } },
      body: { url: `${receiver.url}/chat`, events: ['message_sent'] },
    }),
  );
  const message = await chat.POST('/v1/apps/{app_id}/events', {
    params: { path: { app_id: app.id } },
    body: {
      id: 'message-1',
      type: 'message_sent',
      conversation_id: 'conv-prod',
      user: { id: 'u-prod', email: 'ada.lovelace@example.com', name: 'Ada Lovelace', logged_in: true },
      message: 'What does the premium plan cost?',
      response: 'Premium is 49 dollars a month.',
    },
  });
  assert.equal(message.response.status, 202);
  const [, chatReq] = await receiver.waitForRequests(2);
  const chatPayload = new Webhook(chatHook.secret).verify(
    chatReq!.body,
    chatReq!.headers as Record<string, string>,
  ) as Record<string, unknown>;
  assert.equal(chatPayload.user_name, 'Ada Lovelace');

  // Each process exposes its own metrics: the API on its port, the worker on METRICS_PORT.
  const apiMetrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  assert.match(apiMetrics, /chat_webhooks_events_accepted_total\{type="user_signup"\} 1/);
  // The worker counts each delivery once its attempt is recorded, just after the receiver answered.
  let workerMetrics = '';
  for (let i = 0; i < 50 && !/chat_webhooks_deliveries_total\{outcome="succeeded"\} 2/.test(workerMetrics); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    workerMetrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  }
  assert.match(workerMetrics, /chat_webhooks_deliveries_total\{outcome="succeeded"\} 2/);

  api.child.kill('SIGTERM');
  worker.child.kill('SIGTERM');
  assert.equal(await api.exited, 0, api.output());
  assert.equal(await worker.exited, 0, worker.output());
  assert.match(api.output(), /"msg":"stopped"/);
  assert.match(worker.output(), /"msg":"stopped"/);
  // Every line that migrate, the api and the worker printed: no chat content, no key, no secret.
  const lines = [migrate, again, api, worker].flatMap((p) => p.output().split('\n'));
  const leaks = findLeaks(lines, [
    { what: 'the posted email', value: 'ada.lovelace@example.com' },
    { what: 'the posted name', value: 'Ada Lovelace' },
    { what: 'the posted message', value: 'What does the premium plan cost' },
    { what: 'the posted response', value: 'Premium is 49 dollars' },
    { what: 'the signing secret', value: hook.secret.slice('whsec_'.length) },
    { what: 'the admin key', value: adminKey },
    { what: "the app's key", value: app.api_key },
    { what: 'SECRETS_KEY', value: String(env.SECRETS_KEY) },
    ...payloadKeyMaterial(String(env.TEMPORAL_PAYLOAD_KEYS)).map((k) => ({ what: 'a payload key', value: k })),
  ]);
  assert.deepEqual(leaks, [], `${lines.length} log lines checked`);
});

test('SIGTERM lets the API finish the request it is serving and the worker finish its attempt: nothing is lost', async () => {
  // The schema exists from the test above; this one starts its own api and worker.
  const { env, port, adminKey } = await serviceEnv();
  const worker = start('worker', env);
  const api = start('api', env);
  await Promise.all([worker.waitFor(/worker running/), api.waitFor(/api listening/)]);
  const { api: chat, ok } = builtClient(port, adminKey);
  const app = ok(await chat.POST('/v1/apps', { body: { name: 'Shutdown' } }));
  ok(
    await chat.POST('/v1/apps/{app_id}/webhooks', {
      params: { path: { app_id: app.id } },
      body: { url: receiver.url, events: ['user_signup'] },
    }),
  );

  // The worker: an attempt is in flight (the receiver takes 2 s to answer) when SIGTERM arrives.
  const before = receiver.requests.length;
  receiver.answer({ status: 200, delayMs: 2_000 });
  const slow = await chat.POST('/v1/apps/{app_id}/events', {
    params: { path: { app_id: app.id } },
    body: { id: 'slow-1', type: 'user_signup' },
  });
  assert.equal(slow.response.status, 202);
  await receiver.waitForRequests(before + 1);
  const stopping = Date.now();
  worker.child.kill('SIGTERM');
  assert.equal(await worker.exited, 0, worker.output());
  assert.ok(Date.now() - stopping < 30_000, 'the worker exits within 30 s');
  const delivery = await db.pool.query("SELECT status, attempt_count FROM deliveries WHERE event_id = 'slow-1'");
  assert.deepEqual(
    delivery.rows,
    [{ status: 'succeeded', attempt_count: 1 }],
    'the attempt in flight finished and was recorded',
  );
  assert.equal(receiver.requests.length, before + 1);

  // The API: a request whose body is still arriving when SIGTERM comes is served; new connections are refused.
  const body = JSON.stringify({ id: 'during-shutdown', type: 'user_signup' });
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  socket.write(
    `POST /v1/apps/${app.id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${adminKey}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
  );
  await new Promise((r) => setTimeout(r, 300));
  api.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'no new connections while stopping');
  socket.write(body.slice(10));
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  assert.match(answer, /^HTTP\/1\.1 202/, `answer: ${JSON.stringify(answer)}\napi: ${api.output()}`);
  assert.equal(await api.exited, 0, api.output());
  const accepted = await db.pool.query("SELECT count(*)::int AS n FROM events WHERE event_id = 'during-shutdown'");
  assert.equal(accepted.rows[0].n, 1, 'the event accepted during shutdown is recorded');
});

test('a worker killed during a first attempt made in its workflow task: another worker sends it again, and the log holds one attempt', async () => {
  const { env, port, adminKey } = await serviceEnv();
  const doomed = start('worker', env);
  const api = start('api', env);
  await Promise.all([doomed.waitFor(/worker running/), api.waitFor(/api listening/)]);
  const { api: chat, ok } = builtClient(port, adminKey);
  const app = ok(await chat.POST('/v1/apps', { body: { name: 'Crash' } }));
  ok(
    await chat.POST('/v1/apps/{app_id}/webhooks', {
      params: { path: { app_id: app.id } },
      body: { url: receiver.url, events: ['user_signup'] },
    }),
  );
  const before = receiver.requests.length;
  // The first request is held long enough for the worker to die with it open; the next is answered at once.
  receiver.answer({ status: 200, delayMs: 5_000 });
  const posted = await chat.POST('/v1/apps/{app_id}/events', {
    params: { path: { app_id: app.id } },
    body: { id: 'crash-1', type: 'user_signup' },
  });
  assert.equal(posted.response.status, 202);
  await receiver.waitForRequests(before + 1);
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  const survivor = start('worker', env);
  await survivor.waitFor(/worker running/);
  // The workflow task times out (10 s) and runs again on the survivor, which finds attempt 1 unrecorded and makes it.
  await receiver.waitForRequests(before + 2, 60_000);
  let rows: Array<{ status: string; attempt_count: number }> = [];
  for (let i = 0; i < 100; i++) {
    rows = (await db.pool.query("SELECT status, attempt_count FROM deliveries WHERE event_id = 'crash-1'")).rows;
    if (rows[0]?.status !== 'pending') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(rows, [{ status: 'succeeded', attempt_count: 1 }]);
  const sent = receiver.requests.slice(before);
  assert.equal(sent.length, 2, 'sent twice: at least once, never lost');
  assert.equal(
    sent[0]!.headers['webhook-id'],
    sent[1]!.headers['webhook-id'],
    'the same message, so receivers dedupe it',
  );
  const attempts = await db.pool.query(
    "SELECT a.attempt, a.status_code FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = 'crash-1'",
  );
  assert.deepEqual(attempts.rows, [{ attempt: 1, status_code: 200 }]);
  survivor.child.kill('SIGTERM');
  api.child.kill('SIGTERM');
  assert.equal(await survivor.exited, 0, survivor.output());
  assert.equal(await api.exited, 0, api.output());
});

test('a quota holds across two API processes: a burst gets 429s with Retry-After, nothing is written for them, and retries with the same ids deliver every event once', async () => {
  // The schema exists from the tests above. Two APIs on their own ports, one worker, one database and task queue.
  const { env, port, adminKey } = await serviceEnv();
  const secondPort = await freePortForChild();
  const worker = start('worker', env);
  const apis = [start('api', env), start('api', { ...env, PORT: String(secondPort) })];
  await Promise.all([worker.waitFor(/worker running/), ...apis.map((a) => a.waitFor(/api listening/))]);
  const ports = [port, secondPort];
  const own = await startReceiver();
  const payloadKeys = parsePayloadKeys(String(env.TEMPORAL_PAYLOAD_KEYS));
  assert.ok(Array.isArray(payloadKeys));
  // With the processes' payload keys, so workflow results can be read.
  const { client: temporal, close: closeTemporal } = createTemporalClient({
    address: temporalAddress(),
    namespace: 'default',
    payloadKeys,
  });
  try {
    const { api: chat, ok } = builtClient(port, adminKey);
    const perSecond = 5;
    const app = ok(await chat.POST('/v1/apps', { body: { name: 'Quota', max_events_per_second: perSecond } }));
    ok(
      await chat.POST('/v1/apps/{app_id}/webhooks', {
        params: { path: { app_id: app.id } },
        body: { url: own.url, events: ['user_signup'] },
      }),
    );
    const post = (i: number, id: string) =>
      fetch(`http://127.0.0.1:${ports[i % 2]}/v1/apps/${app.id}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${app.api_key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id, type: 'user_signup' }),
      });

    // The burst: 30 events at once, half through each API.
    const ids = Array.from({ length: 30 }, (_, i) => `quota-${i}`);
    const startedAt = Date.now();
    const burst = await Promise.all(ids.map((id, i) => post(i, id)));
    const burstSeconds = (Date.now() - startedAt) / 1000;
    const refused = ids.filter((_, i) => burst[i]!.status === 429);
    const accepted = ids.filter((_, i) => burst[i]!.status === 202);
    assert.equal(refused.length + accepted.length, ids.length, `statuses ${burst.map((r) => r.status).join()}`);
    // One bucket for both processes: its 5 tokens plus what refilled during the burst. Two buckets would grant 10.
    assert.ok(accepted.length >= perSecond, `accepted ${accepted.length}`);
    assert.ok(
      accepted.length <= perSecond + Math.ceil(burstSeconds * perSecond),
      `accepted ${accepted.length} in ${burstSeconds} s`,
    );
    for (const apiIndex of [0, 1]) {
      assert.ok(
        ids.some((_, i) => i % 2 === apiIndex && burst[i]!.status === 429),
        `API ${apiIndex + 1} refused some too`,
      );
    }
    for (const [i, res] of burst.entries()) {
      if (res.status !== 429) continue;
      assert.equal(res.headers.get('retry-after'), '1');
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'rate_limited');
      const written = await db.pool.query(
        'SELECT (SELECT count(*)::int FROM events WHERE app_id = $1 AND event_id = $2) AS events, ' +
          '(SELECT count(*)::int FROM deliveries WHERE app_id = $1 AND event_id = $2) AS deliveries',
        [app.id, ids[i]],
      );
      assert.deepEqual(written.rows[0], { events: 0, deliveries: 0 }, `nothing written for ${ids[i]}`);
      await assert.rejects(temporal.workflow.getHandle(chatEventWorkflowId(app.id, ids[i]!)).describe(), {
        name: 'WorkflowNotFoundError',
      });
    }

    // The backend retries what was refused, with the same ids, after Retry-After, through either API.
    let pending = refused;
    let round = 0;
    while (pending.length > 0) {
      assert.ok(round++ < 30, `still refused after 30 rounds: ${pending.join()}`);
      await new Promise((r) => setTimeout(r, 1_000));
      const answers = await Promise.all(pending.map((id, i) => post(i + round, id)));
      for (const res of answers) assert.ok([202, 429].includes(res.status), `status ${res.status}`);
      pending = pending.filter((_, i) => answers[i]!.status === 429);
    }

    const requests = await own.waitForRequests(ids.length, 60_000);
    const delivered = requests.map((r) => (JSON.parse(r.body) as { event_id: string }).event_id).sort();
    assert.deepEqual(delivered, [...ids].sort(), 'every event delivered exactly once');
    for (const id of ids) await temporal.workflow.getHandle(chatEventWorkflowId(app.id, id)).result();
    const log = await db.pool.query(
      'SELECT event_id, count(*)::int AS n, min(status) AS status FROM deliveries WHERE app_id = $1 GROUP BY event_id',
      [app.id],
    );
    assert.equal(log.rows.length, ids.length);
    assert.ok(
      log.rows.every((row) => row.n === 1 && row.status === 'succeeded'),
      JSON.stringify(log.rows.filter((row) => row.n !== 1 || row.status !== 'succeeded')),
    );
    assert.equal(own.requests.length, ids.length, 'no second delivery of any event');
  } finally {
    await closeTemporal();
    await own.close();
    for (const proc of [...apis, worker]) proc.child.kill('SIGTERM');
    for (const proc of [...apis, worker]) assert.equal(await proc.exited, 0, proc.output());
  }
});

test('ENDPOINT_MAX_IN_FLIGHT is per worker process: two workers with a cap of 3 have up to 6 requests open to one endpoint', async () => {
  const { env, port, adminKey } = await serviceEnv();
  const capped = { ...env, ENDPOINT_MAX_IN_FLIGHT: '3' };
  const workers = [
    start('worker', capped),
    start('worker', { ...capped, METRICS_PORT: String(await freePortForChild()) }),
  ];
  const api = start('api', capped);
  await Promise.all([...workers.map((w) => w.waitFor(/worker running/)), api.waitFor(/api listening/)]);
  const slow = await startReceiver();
  // Every answer takes 3 s, so deliveries pile up against the cap.
  slow.setDefault({ status: 200, body: '{"ok":true}', delayMs: 3_000 });
  try {
    const { api: chat, ok } = builtClient(port, adminKey);
    const app = ok(await chat.POST('/v1/apps', { body: { name: 'In flight' } }));
    ok(
      await chat.POST('/v1/apps/{app_id}/webhooks', {
        params: { path: { app_id: app.id } },
        body: { url: slow.url, events: ['user_signup'] },
      }),
    );
    const posts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        chat.POST('/v1/apps/{app_id}/events', {
          params: { path: { app_id: app.id } },
          body: { id: `inflight-${i}`, type: 'user_signup' },
        }),
      ),
    );
    assert.ok(posts.every((p) => p.response.status === 202));
    await slow.waitForRequests(20, 120_000);
    // Each worker holds its own cap: more than one worker's 3 open at once, never more than both workers' 6.
    console.log(`ENDPOINT_MAX_IN_FLIGHT=3 with 2 workers: at most ${slow.maxOpen()} requests open to one endpoint`);
    assert.ok(slow.maxOpen() > 3 && slow.maxOpen() <= 6, `max open ${slow.maxOpen()}`);
  } finally {
    await slow.close();
    for (const proc of [api, ...workers]) proc.child.kill('SIGTERM');
    for (const proc of [api, ...workers]) assert.equal(await proc.exited, 0, proc.output());
  }
});

test('dev runs the API and the worker in one process, and starts event workflows eagerly on its own worker', async () => {
  const { env: prod, port, adminKey } = await serviceEnv();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-dev-'));
  const { NODE_ENV: _production, METRICS_PORT: _metrics, ...rest } = prod;
  const dev = start('dev', { ...rest, DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  await dev.waitFor(/is running \(dev mode\)/, 60_000);

  const { api: chat, ok } = builtClient(port, adminKey);
  const app = ok(await chat.POST('/v1/apps', { body: { name: 'Dev App' } }));
  const hook = ok(
    await chat.POST('/v1/apps/{app_id}/webhooks', {
      params: { path: { app_id: app.id } },
      body: { url: receiver.url, events: ['message_sent'] },
    }),
  );
  const before = receiver.requests.length;
  const event = await chat.POST('/v1/apps/{app_id}/events', {
    params: { path: { app_id: app.id } },
    body: { id: 'dev-1', type: 'message_sent', conversation_id: 'c1', message: 'hi', response: 'hello' },
  });
  assert.equal(event.response.status, 202);
  const [req] = (await receiver.waitForRequests(before + 1)).slice(before);
  const payload = new Webhook(hook.secret).verify(req!.body, req!.headers as Record<string, string>) as Record<
    string,
    unknown
  >;
  assert.equal(payload.event, 'Message sent');
  // The server handed the new workflow's first task to this process's worker in its answer to the start call.
  await dev.waitFor(/"eagerly_started":true/);

  dev.child.kill('SIGTERM');
  assert.equal(await dev.exited, 0, dev.output());
  fs.rmSync(dataDir, { recursive: true, force: true });
});
