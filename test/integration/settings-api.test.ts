import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { Webhook } from 'standardwebhooks';

import { listAttempts, listDeliveriesForEvent } from '../../src/db/queries/deliveries';
import type { ChatEventResult } from '../../src/domain/delivery';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { describeRange } from '../../src/security/special-purpose-addresses';
import { bracketed, rows as specialPurposeRows } from '../helpers/special-purpose-samples';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

// Names the tests resolve without outside DNS: public-looking ones for saving, and one that later rebinds.
const dnsAnswers = new Map<string, string[]>([
  ['hooks.example-receiver.test', ['93.184.216.34']],
  ['rebind.example-receiver.test', ['93.184.216.34']],
  ['internal.example-receiver.test', ['10.1.2.3']],
]);

let stack: Stack;
let receiver: Receiver;

before(async () => {
  stack = await startStack({
    retrySchedule: '1s',
    resolver: async (host) => {
      const answer = dnsAnswers.get(host);
      if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return answer;
    },
  });
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await stack.close();
});

describe('apps', () => {
  test('create, read, update, list with pagination, rotate the key, delete', async () => {
    const created = await stack.request('POST', '/v1/apps', {
      name: 'Pricing Bot',
      privacy: { share_messages: false },
    });
    assert.equal(created.status, 201);
    assert.match(created.body.api_key, /^cwk_[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(created.body.privacy, { share_user_email: true, share_user_name: true, share_messages: false });
    assert.equal(created.body.api_key_prefix, created.body.api_key.slice(0, 12));
    const id = created.body.id;

    const read = await stack.request('GET', `/v1/apps/${id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.name, 'Pricing Bot');
    assert.equal(read.body.api_key, undefined, 'the key is shown only on creation and rotation');

    const patched = await stack.request('PATCH', `/v1/apps/${id}`, {
      name: 'Pricing Bot 2',
      privacy: { share_user_email: false },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.name, 'Pricing Bot 2');
    assert.deepEqual(patched.body.privacy, { share_user_email: false, share_user_name: true, share_messages: false });
    assert.ok(patched.body.updated_at >= read.body.updated_at);
    assert.equal((await stack.request('PATCH', `/v1/apps/${id}`, {})).status, 400);

    // The app's own key works; after rotation the old one does not and the new one does.
    assert.equal((await stack.request('GET', `/v1/apps/${id}`, undefined, { key: created.body.api_key })).status, 200);
    const rotated = await stack.request('POST', `/v1/apps/${id}/rotate-key`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.api_key, created.body.api_key);
    assert.equal((await stack.request('GET', `/v1/apps/${id}`, undefined, { key: created.body.api_key })).status, 401);
    assert.equal((await stack.request('GET', `/v1/apps/${id}`, undefined, { key: rotated.body.api_key })).status, 200);

    const deleted = await stack.request('DELETE', `/v1/apps/${id}`);
    assert.equal(deleted.status, 204);
    assert.equal((await stack.request('GET', `/v1/apps/${id}`)).status, 404);
    assert.equal((await stack.request('GET', `/v1/apps/${id}`, undefined, { key: rotated.body.api_key })).status, 401);
  });

  test('the admin key lists every app page by page; an app key sees only its own; only the admin creates apps', async () => {
    const ids: string[] = [];
    let appKey = '';
    for (let i = 0; i < 5; i++) {
      const res = await stack.request('POST', '/v1/apps', { name: `Paged ${i}` });
      ids.push(res.body.id);
      appKey = res.body.api_key;
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: any } = await stack.request(
        'GET',
        `/v1/apps?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(res.status, 200);
      assert.ok(res.body.data.length <= 2);
      seen.push(...res.body.data.map((a: { id: string }) => a.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 100);
    assert.equal(new Set(seen).size, seen.length, 'no app twice');
    for (const id of ids) assert.ok(seen.includes(id));

    const own = await stack.request('GET', '/v1/apps', undefined, { key: appKey });
    assert.deepEqual(
      own.body.data.map((a: { id: string }) => a.id),
      [ids[4]],
    );
    const forbidden = await stack.request('POST', '/v1/apps', { name: 'nope' }, { key: appKey });
    assert.equal(forbidden.status, 403);
    assert.equal((await stack.request('GET', '/v1/apps?cursor=garbage')).status, 400);
    assert.equal((await stack.request('GET', '/v1/apps?limit=1000')).status, 400);
  });
});

describe('webhooks', () => {
  test('create, read, update, list with pagination, delete; the secret is never in list or get output', async () => {
    const app = await stack.request('POST', '/v1/apps', { name: 'Hooks' });
    const base = `/v1/apps/${app.body.id}/webhooks`;
    const created = await stack.request('POST', base, {
      url: 'https://hooks.example-receiver.test/catch/1',
      description: 'Zapier',
      events: ['message_sent', 'conversation_end'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(
      {
        url: created.body.url,
        events: created.body.events,
        enabled: created.body.enabled,
        conditions: created.body.conditions,
      },
      {
        url: 'https://hooks.example-receiver.test/catch/1',
        events: ['message_sent', 'conversation_end'],
        enabled: true,
        conditions: [],
      },
    );
    for (let i = 0; i < 4; i++) {
      await stack.request('POST', base, {
        url: `https://hooks.example-receiver.test/catch/${i + 2}`,
        events: ['user_signup'],
      });
    }

    const page1 = await stack.request('GET', `${base}?limit=3`);
    const page2 = await stack.request('GET', `${base}?limit=3&cursor=${page1.body.next_cursor}`);
    assert.equal(page1.body.data.length, 3);
    assert.equal(page2.body.data.length, 2);
    assert.equal(page2.body.next_cursor, null);
    assert.equal(page1.body.data[0].id, created.body.id, 'oldest first');

    const got = await stack.request('GET', `${base}/${created.body.id}`);
    for (const text of [JSON.stringify(page1.body), JSON.stringify(page2.body), JSON.stringify(got.body)]) {
      assert.ok(!text.includes(created.body.secret.slice(6)), 'no secret in list or get output');
      assert.ok(!text.includes('secret'), 'no secret field at all');
    }
    const secret = await stack.request('GET', `${base}/${created.body.id}/secret`);
    assert.equal(secret.body.secret, created.body.secret);

    const patched = await stack.request('PATCH', `${base}/${created.body.id}`, {
      events: ['custom_condition'],
      conditions: [{ prompt: 'When a user asks about pricing or costs' }],
      enabled: false,
      description: null,
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.enabled, false);
    assert.equal(patched.body.disabled_reason, 'disabled by user');
    assert.equal(patched.body.description, null);
    assert.match(patched.body.conditions[0].id, /^cond_/);
    assert.equal(patched.body.conditions[0].fire, 'once_per_conversation');
    const reenabled = await stack.request('PATCH', `${base}/${created.body.id}`, { enabled: true });
    assert.equal(reenabled.body.disabled_reason, null);
    assert.deepEqual(
      reenabled.body.conditions,
      patched.body.conditions,
      'conditions kept while custom_condition stays',
    );

    assert.equal((await stack.request('DELETE', `${base}/${created.body.id}`)).status, 204);
    assert.equal((await stack.request('GET', `${base}/${created.body.id}`)).status, 404);
    assert.equal((await stack.request('DELETE', `${base}/${created.body.id}`)).status, 404);
  });

  test('conditions are required with custom_condition and refused without it', async () => {
    const app = await stack.request('POST', '/v1/apps', { name: 'Conditions' });
    const base = `/v1/apps/${app.body.id}/webhooks`;
    const url = 'https://hooks.example-receiver.test/c';
    const missing = await stack.request('POST', base, { url, events: ['custom_condition'] });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error.message, /conditions: at least one condition/);
    const stray = await stack.request('POST', base, { url, events: ['message_sent'], conditions: [{ prompt: 'x' }] });
    assert.equal(stray.status, 400);
    assert.match(stray.body.error.message, /custom_condition/);
    const tooLong = await stack.request('POST', base, {
      url,
      events: ['custom_condition'],
      conditions: [{ prompt: 'x'.repeat(1001) }],
    });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error.details[0].field, 'conditions.0.prompt');
    const empty = await stack.request('POST', base, { url, events: [] });
    assert.equal(empty.status, 400);
    assert.match(empty.body.error.message, /events: choose at least one event/);
    const blank = await stack.request('POST', base, {
      url,
      events: ['custom_condition'],
      conditions: [{ prompt: ' \t ' }],
    });
    assert.equal(blank.status, 400, 'a prompt of white space is as empty as no prompt');
    assert.equal(blank.body.error.details[0].field, 'conditions.0.prompt');

    // Schema-valid, but two conditions with one id: a rule no JSON Schema states, so 422.
    const twice = await stack.request('POST', base, {
      url,
      events: ['custom_condition'],
      conditions: [
        { id: 'c1', prompt: 'a' },
        { id: 'c1', prompt: 'b' },
      ],
    });
    assert.equal(twice.status, 422);
    assert.equal(twice.body.error.code, 'duplicate_condition_id');

    // A change that is fine by itself but not with what the webhook has: 409.
    const plain = await stack.request('POST', base, { url, events: ['message_sent'] });
    const addEvent = await stack.request('PATCH', `${base}/${plain.body.id}`, {
      events: ['message_sent', 'custom_condition'],
    });
    assert.equal(addEvent.status, 409);
    assert.equal(addEvent.body.error.code, 'conditions_conflict');
    const addConditions = await stack.request('PATCH', `${base}/${plain.body.id}`, { conditions: [{ prompt: 'p' }] });
    assert.equal(addConditions.status, 409);
    assert.equal(addConditions.body.error.code, 'conditions_conflict');
    // Both in one change: the body alone decides, as its schema says.
    const both = await stack.request('PATCH', `${base}/${plain.body.id}`, {
      events: ['custom_condition'],
      conditions: [{ prompt: 'p' }],
    });
    assert.equal(both.status, 200, JSON.stringify(both.body));
  });

  test('a path asked with a method it does not have answers 405 with Allow, before any key is checked', async () => {
    const put = await stack.request('PUT', '/v1/apps', undefined, { key: null });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'POST, GET, HEAD, OPTIONS');
    assert.equal(put.body.error.code, 'method_not_allowed');
    // fetch refuses TRACE; node:http sends it, on a connection of its own that closes after the answer.
    const trace = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http
        .request(
          `${stack.apiUrl}/v1/apps`,
          { method: 'TRACE', agent: false, signal: AbortSignal.timeout(10_000) },
          (res) => res.resume().on('end', () => resolve(res)),
        )
        .on('error', reject)
        .end(),
    );
    assert.equal(trace.statusCode, 405);
    assert.equal(trace.headers.allow, 'POST, GET, HEAD, OPTIONS');
    const options = await stack.request('OPTIONS', '/v1/apps/app_x/webhooks/wh_y', undefined, { key: null });
    assert.equal(options.status, 204);
    assert.equal(options.headers.get('allow'), 'GET, HEAD, PATCH, DELETE, OPTIONS');
    assert.equal((await stack.request('GET', '/v1/nothing-here')).status, 404);
  });

  test('bad URLs are refused with their reason: 400 for what the schema states, 422 for where they point', async () => {
    const app = await stack.request('POST', '/v1/apps', { name: 'Bad URLs' });
    const base = `/v1/apps/${app.body.id}/webhooks`;
    // Schema-valid URLs whose destination the service does not call.
    const refused: Array<[string, RegExp]> = [
      ['http://169.254.169.254/latest/meta-data', /in 169\.254\.0\.0\/16, Link Local \(RFC 3927\)/],
      ['http://[::ffff:10.0.0.1]/', /IPv4-mapped Address \(RFC 4291\), carrying 10\.0\.0\.1/], // (loopback itself is allowed in this stack)
      ['http://10.0.0.1/hook', /in 10\.0\.0\.0\/8, Private-Use \(RFC 1918\)/],
      ['http://localhost/hook', /localhost/],
      [
        'https://internal.example-receiver.test/',
        /resolves to 10\.1\.2\.3, in 10\.0\.0\.0\/8, Private-Use \(RFC 1918\)/,
      ],
      [
        'http://[::127.0.0.1]/',
        /^Invalid url: host ::7f00:1 is in ::\/96, Deprecated \(IPv4-Compatible IPv6 Address\)/,
      ],
    ];
    for (const [url, reason] of refused) {
      const res = await stack.request('POST', base, { url, events: ['message_sent'] });
      assert.equal(res.status, 422, url);
      assert.equal(res.body.error.code, 'invalid_url', url);
      assert.match(res.body.error.message, reason, url);
      assert.equal(res.body.error.details[0].field, 'url');
    }
    // URLs that break the documented pattern (absolute http(s), no spaces, control characters or user name).
    for (const url of [
      'ftp://hooks.example-receiver.test/',
      'javascript:alert(1)',
      'https://user:pw@hooks.example-receiver.test/',
      'https://hooks.example-receiver.test/a b',
      '/relative',
    ]) {
      const res = await stack.request('POST', base, { url, events: ['message_sent'] });
      assert.equal(res.status, 400, url);
      assert.equal(res.body.error.code, 'validation_failed', url);
      assert.equal(res.body.error.details[0].field, 'url');
      assert.match(res.body.error.message, /absolute http\(s\) URL/, url);
    }
    const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM webhooks WHERE app_id = $1', [
      app.body.id,
    ]);
    assert.equal(rows[0].n, 0, 'nothing saved');
  });

  test('a URL whose name does not resolve now is saved, with a warning: it may be set up later', async () => {
    const app = await stack.request('POST', '/v1/apps', { name: 'Not yet in DNS' });
    const url = 'https://nowhere.example-receiver.test/hook';
    const res = await stack.request('POST', `/v1/apps/${app.body.id}/webhooks`, { url, events: ['message_sent'] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.url, url);
    assert.equal(res.body.warnings.length, 1);
    assert.match(
      res.body.warnings[0],
      /^url: host nowhere\.example-receiver\.test does not resolve .*now; each attempt resolves it again$/,
    );
    const alert = await stack.request('PATCH', `/v1/apps/${app.body.id}`, { alert_url: url });
    assert.equal(alert.status, 200);
    assert.match(alert.body.warnings[0], /^alert_url: host nowhere/);
  });
});

describe('isolation', () => {
  test("app A's key gets nothing of app B on any route, and cannot tell B exists", async () => {
    const a = await stack.createAppWithWebhook(receiver.url);
    const b = await stack.createAppWithWebhook(receiver.url);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/v1/apps/${b.appId}`],
      ['PATCH', `/v1/apps/${b.appId}`, { name: 'taken over' }],
      ['DELETE', `/v1/apps/${b.appId}`],
      ['POST', `/v1/apps/${b.appId}/rotate-key`],
      ['GET', `/v1/apps/${b.appId}/webhooks`],
      ['POST', `/v1/apps/${b.appId}/webhooks`, { url: receiver.url, events: ['message_sent'] }],
      ['GET', `/v1/apps/${b.appId}/webhooks/${b.webhookId}`],
      ['PATCH', `/v1/apps/${b.appId}/webhooks/${b.webhookId}`, { enabled: false }],
      ['DELETE', `/v1/apps/${b.appId}/webhooks/${b.webhookId}`],
      ['GET', `/v1/apps/${b.appId}/webhooks/${b.webhookId}/secret`],
      ['POST', `/v1/apps/${b.appId}/webhooks/${b.webhookId}/rotate-secret`],
      ['POST', `/v1/apps/${b.appId}/webhooks/${b.webhookId}/test`],
      ['POST', `/v1/apps/${b.appId}/events`, messageEvent()],
      // B's webhook through A's own app path is not found either.
      ['GET', `/v1/apps/${a.appId}/webhooks/${b.webhookId}`],
      ['GET', `/v1/apps/${a.appId}/webhooks/${b.webhookId}/secret`],
    ];
    const unknown = await stack.request('GET', '/v1/apps/app_00000000000000000000000000000000', undefined, {
      key: a.appKey,
    });
    for (const [method, path, body] of routes) {
      const res = await stack.request(method, path, body, { key: a.appKey });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.ok(!JSON.stringify(res.body).includes(b.secret.slice(6)));
      if (path.startsWith(`/v1/apps/${b.appId}`))
        assert.equal(
          res.body.error.message.replace(b.appId, 'X'),
          unknown.body.error.message.replace('app_00000000000000000000000000000000', 'X'),
        );
    }
    // B is untouched, and A's key still works on A.
    const bNow = await stack.request('GET', `/v1/apps/${b.appId}/webhooks/${b.webhookId}`);
    assert.equal(bNow.body.enabled, true);
    assert.equal(
      (await stack.request('GET', `/v1/apps/${b.appId}/webhooks/${b.webhookId}/secret`)).body.secret,
      b.secret,
    );
    assert.equal(
      (await stack.request('GET', `/v1/apps/${a.appId}/webhooks/${a.webhookId}`, undefined, { key: a.appKey })).status,
      200,
    );
    const ownEvent = await stack.request('POST', `/v1/apps/${a.appId}/events`, messageEvent(), { key: a.appKey });
    assert.equal(ownEvent.status, 202);
    await stack.client.workflow.getHandle(ownEvent.body.workflow_id).result();
  });
});

describe('secrets', () => {
  test('secrets are not stored in plaintext, nor written to the logs', async () => {
    const { webhookId, secret, appKey } = await stack.createAppWithWebhook(receiver.url);
    const { rows } = await stack.db.pool.query('SELECT * FROM webhooks WHERE id = $1', [webhookId]);
    const dump = JSON.stringify(rows);
    assert.ok(!dump.includes(secret), 'no whole secret');
    assert.ok(!dump.includes(secret.slice(6)), 'no secret body');
    const apps = JSON.stringify((await stack.db.pool.query('SELECT * FROM apps')).rows);
    assert.ok(!apps.includes(appKey), 'app keys are kept as hashes');
    const logs = stack.logs.join('');
    assert.ok(stack.logs.length > 0, 'the API logged something, so the check means something');
    assert.ok(!logs.includes(secret.slice(6)));
    assert.ok(!logs.includes(appKey));
    assert.ok(!logs.includes(stack.adminKey));
  });

  test('during a rotation, receivers with only the old or only the new secret both verify', async () => {
    const { appId, webhookId, secret: oldSecret } = await stack.createAppWithWebhook(receiver.url);
    const rotated = await stack.request('POST', `/v1/apps/${appId}/webhooks/${webhookId}/rotate-secret`);
    assert.equal(rotated.status, 200);
    const newSecret = rotated.body.secret;
    assert.notEqual(newSecret, oldSecret);
    const expires = new Date(rotated.body.previous_secret_expires_at).getTime();
    assert.ok(Math.abs(expires - Date.now() - 24 * 3_600_000) < 60_000, 'overlap of 24 h');
    const secrets = await stack.request('GET', `/v1/apps/${appId}/webhooks/${webhookId}/secret`);
    assert.deepEqual([secrets.body.secret, secrets.body.previous_secret], [newSecret, oldSecret]);

    const before = receiver.requests.length;
    const res = await stack.request('POST', `/v1/apps/${appId}/events`, messageEvent());
    await stack.client.workflow.getHandle(res.body.workflow_id).result();
    const req = receiver.requests[before]!;
    const headers = req.headers as Record<string, string>;
    assert.equal(headers['webhook-signature']!.split(' ').length, 2);
    new Webhook(oldSecret).verify(req.body, headers);
    new Webhook(newSecret).verify(req.body, headers);

    // Once the overlap is over, only the new secret signs.
    await stack.db.pool.query(
      "UPDATE webhooks SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1",
      [webhookId],
    );
    const after = receiver.requests.length;
    const res2 = await stack.request('POST', `/v1/apps/${appId}/events`, messageEvent());
    await stack.client.workflow.getHandle(res2.body.workflow_id).result();
    const req2 = receiver.requests[after]!;
    new Webhook(newSecret).verify(req2.body, req2.headers as Record<string, string>);
    assert.throws(() => new Webhook(oldSecret).verify(req2.body, req2.headers as Record<string, string>));
  });
});

describe('special-purpose addresses', () => {
  test('every special-purpose row is refused when saved and by url-checks, and the globally reachable ones are kept', async () => {
    const app = await stack.request('POST', '/v1/apps', { name: 'Special-purpose rows' });
    const base = `/v1/apps/${app.body.id}`;
    // This stack allows loopback (dev mode's DELIVERY_ALLOWED_CIDRS): those rows are the allowance at work.
    const allowedHere = new Set(['127.0.0.0/8', '::1/128']);
    let refusedCount = 0;
    for (const { range, address, refused } of specialPurposeRows) {
      const url = `http://${bracketed(address)}/hook`;
      const saved = await stack.request('POST', `${base}/webhooks`, { url, events: ['message_sent'] });
      const checked = await stack.request('POST', `${base}/url-checks`, { url });
      assert.equal(checked.status, 200, url);
      const phrase = `in ${describeRange(range)}`;
      if (refused && !allowedHere.has(range.cidr)) {
        refusedCount++;
        assert.equal(saved.status, 422, url);
        assert.equal(saved.body.error.code, 'invalid_url', url);
        assert.ok(saved.body.error.message.includes(phrase), `${saved.body.error.message} lacks ${phrase}`);
        assert.equal(checked.body.allowed, false, url);
        assert.ok(checked.body.reason.includes(phrase), `${checked.body.reason} lacks ${phrase}`);
      } else {
        assert.equal(saved.status, 201, `${url}: ${JSON.stringify(saved.body)}`);
        assert.deepEqual(checked.body, { allowed: true, url: saved.body.url, reason: null, warning: null });
      }
    }
    assert.equal(refusedCount, specialPurposeRows.filter((r) => r.refused).length - allowedHere.size);
    const list = await stack.request('GET', `${base}/webhooks?limit=100`);
    assert.equal(list.body.data.length, specialPurposeRows.length - refusedCount, 'nothing refused was saved');
  });
});

describe('delivery safety', () => {
  test('a name that resolves to a private address at delivery time is refused, recorded as blocked_destination, and not retried', async () => {
    const app = await stack.request('POST', '/v1/apps', { name: 'Rebind' });
    const hook = await stack.request('POST', `/v1/apps/${app.body.id}/webhooks`, {
      url: 'http://rebind.example-receiver.test/hook',
      events: ['message_sent'],
    });
    assert.equal(hook.status, 201, 'public at save time');
    dnsAnswers.set('rebind.example-receiver.test', ['10.9.8.7']);
    const event = messageEvent();
    const res = await stack.request('POST', `/v1/apps/${app.body.id}/events`, event);
    const result: ChatEventResult = await stack.client.workflow.getHandle(res.body.workflow_id).result();
    assert.equal(result.deliveries[0]!.status, 'failed');
    assert.equal(result.deliveries[0]!.attempts, 1, 'not retried although the schedule allows another attempt');
    assert.match(
      result.deliveries[0]!.error ?? '',
      /^blocked_destination: .*resolves to 10\.9\.8\.7, in 10\.0\.0\.0\/8, Private-Use \(RFC 1918\), not globally reachable/,
    );
    const [delivery] = await listDeliveriesForEvent(stack.db.pool, app.body.id, String(event.id));
    const attempts = await listAttempts(stack.db.pool, delivery!.id);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]!.error_class, 'blocked_destination');
    assert.equal(attempts[0]!.status_code, null);
  });

  test('a name that resolves to an IETF protocol assignment at delivery time is blocked, and the log names the row', async () => {
    const app = await stack.request('POST', '/v1/apps', { name: 'Protocol assignment' });
    dnsAnswers.set('protocol.example-receiver.test', ['93.184.216.34']);
    const hook = await stack.request('POST', `/v1/apps/${app.body.id}/webhooks`, {
      url: 'http://protocol.example-receiver.test/hook',
      events: ['message_sent'],
    });
    assert.equal(hook.status, 201);
    dnsAnswers.set('protocol.example-receiver.test', ['192.0.0.100']);
    const event = messageEvent();
    const res = await stack.request('POST', `/v1/apps/${app.body.id}/events`, event);
    const result: ChatEventResult = await stack.client.workflow.getHandle(res.body.workflow_id).result();
    assert.equal(result.deliveries[0]!.status, 'failed');
    const [delivery] = await listDeliveriesForEvent(stack.db.pool, app.body.id, String(event.id));
    const attempts = await listAttempts(stack.db.pool, delivery!.id);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]!.error_class, 'blocked_destination');
    assert.equal(
      attempts[0]!.error_message,
      'host protocol.example-receiver.test resolves to 192.0.0.100, in 192.0.0.0/24, IETF Protocol Assignments (RFC 6890), not globally reachable',
    );
  });

  for (const what of ['webhook', 'app'] as const) {
    test(`deleting the ${what} ends its waiting retries at once, and keeps the delivery log`, async () => {
      const slow = await startStack({ retrySchedule: '10m' });
      try {
        const { appId, webhookId } = await slow.createAppWithWebhook(receiver.url);
        receiver.answer({ status: 500 });
        const before = receiver.requests.length;
        const res = await slow.request('POST', `/v1/apps/${appId}/events`, messageEvent());
        await receiver.waitForRequests(before + 1);
        // The delivery now waits 10 minutes for its retry; deletion must end it well before that.
        let pending = 0;
        for (let i = 0; i < 50 && pending === 0; i++) {
          pending = (
            await slow.db.pool.query(
              "SELECT count(*)::int AS n FROM deliveries WHERE app_id = $1 AND status = 'pending' AND attempt_count = 1",
              [appId],
            )
          ).rows[0].n;
          if (pending === 0) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(pending, 1);
        const path = what === 'app' ? `/v1/apps/${appId}` : `/v1/apps/${appId}/webhooks/${webhookId}`;
        assert.equal((await slow.request('DELETE', path)).status, 204);
        const result: ChatEventResult = await slow.client.workflow.getHandle(res.body.workflow_id).result();
        assert.deepEqual(
          {
            status: result.deliveries[0]!.status,
            error: result.deliveries[0]!.error,
            attempts: result.deliveries[0]!.attempts,
          },
          { status: 'failed', error: 'webhook deleted', attempts: 1 },
        );
        assert.equal(receiver.requests.length, before + 1, 'no further attempt was sent');
        const log = await slow.db.pool.query('SELECT status FROM deliveries WHERE app_id = $1', [appId]);
        assert.deepEqual(log.rows, [{ status: 'failed' }], 'the delivery log outlives the deletion');
      } finally {
        await slow.close();
      }
    });
  }
});

describe('test sends', () => {
  test('a test send reaches the receiver through the workflow path and returns the outcome', async () => {
    const { appId, webhookId, secret } = await stack.createAppWithWebhook(receiver.url, {
      events: ['conversation_end'],
    });
    receiver.answer({ status: 202, body: '{"queued":true}' });
    const before = receiver.requests.length;
    const res = await stack.request('POST', `/v1/apps/${appId}/webhooks/${webhookId}/test`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'succeeded');
    assert.equal(res.body.attempt.status_code, 202);
    assert.equal(res.body.attempt.response_excerpt, '{"queued":true}');
    assert.ok(res.body.attempt.duration_ms >= 0);
    assert.match(res.body.workflow_id, new RegExp(`^chat-event:${appId}:test_`));

    const req = receiver.requests[before]!;
    assert.equal(req.headers['webhook-id'], res.body.delivery_id);
    const payload = new Webhook(secret).verify(req.body, req.headers as Record<string, string>) as Record<
      string,
      unknown
    >;
    assert.equal(payload.event, 'Conversation end');
    assert.equal(payload.test, true);
    const [delivery] = (await stack.db.pool.query('SELECT * FROM deliveries WHERE id = $1', [res.body.delivery_id]))
      .rows;
    assert.equal(delivery.is_test, true);
    assert.equal(delivery.status, 'succeeded');
  });

  test('a failing test send makes one attempt and reports it', async () => {
    const { appId, webhookId } = await stack.createAppWithWebhook(receiver.url);
    receiver.answer({ status: 500, body: 'nope' });
    const before = receiver.requests.length;
    const res = await stack.request('POST', `/v1/apps/${appId}/webhooks/${webhookId}/test`);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'failed');
    assert.deepEqual(
      { code: res.body.attempt.status_code, excerpt: res.body.attempt.response_excerpt, error: res.body.attempt.error },
      { code: 500, excerpt: 'nope', error: 'http_status: HTTP 500' },
    );
    assert.equal(receiver.requests.length, before + 1);
  });
});
