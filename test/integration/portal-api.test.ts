/**
 * What the portal needs from the API beyond the settings routes, over real deliveries: every webhook's summary in one
 * call, one webhook's stats over time, the server's verdict on a URL as it is typed, the event catalogue, and the
 * portal page itself, served with its Content-Security-Policy.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PORTAL_DIST_DIR } from '../../src/api/portal';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;

before(async () => {
  stack = await startStack({
    retrySchedule: '1s',
    portalFrameAncestors: "'self' https://platform.example.com",
    // Names resolve without outside DNS: one public, one private.
    resolver: async (host) => {
      if (host === 'hooks.example.com') return ['93.184.215.14'];
      if (host === 'intranet.example.com') return ['10.1.2.3'];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    },
  });
  receiver = await startReceiver();
});

after(async () => {
  await receiver.close();
  await stack.close();
});

async function postAndWait(appId: string, event: Record<string, unknown>): Promise<void> {
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await stack.client.workflow.getHandle(res.body.workflow_id).result();
}

describe('webhook summaries and series', () => {
  test('one call summarises every webhook of a page: attempts, success rate over the window and the last delivery', async () => {
    const app = await stack.createAppWithWebhook(receiver.url, { name: 'Summary App' });
    const idle = await stack.request('POST', `/v1/apps/${app.appId}/webhooks`, {
      url: receiver.url,
      events: ['user_signup'],
    });
    assert.equal(idle.status, 201);
    // One success, then a 500 that the one retry turns into a success: 3 attempts, 2 answered 2xx.
    await postAndWait(app.appId, messageEvent());
    receiver.answer({ status: 500, body: 'boom' });
    await postAndWait(app.appId, messageEvent());

    const res = await stack.request('GET', `/v1/apps/${app.appId}/webhook-stats`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.window, '24h');
    assert.deepEqual(
      res.body.data.map((s: { webhook_id: string }) => s.webhook_id),
      [app.webhookId, idle.body.id],
      'the order of GET /webhooks',
    );
    const [busy, quiet] = res.body.data;
    assert.equal(busy.attempts, 3);
    assert.equal(busy.success_rate, 2 / 3);
    const newest = (await stack.request('GET', `/v1/apps/${app.appId}/deliveries?limit=1`)).body.data[0];
    assert.deepEqual(busy.last_delivery, {
      id: newest.id,
      status: 'succeeded',
      event_type: 'message_sent',
      at: newest.created_at,
    });
    assert.deepEqual(quiet, { webhook_id: idle.body.id, attempts: 0, success_rate: null, last_delivery: null });

    // Pages follow the webhook list's cursors.
    const first = await stack.request('GET', `/v1/apps/${app.appId}/webhook-stats?limit=1`);
    const list = await stack.request('GET', `/v1/apps/${app.appId}/webhooks?limit=1`);
    assert.equal(first.body.next_cursor, list.body.next_cursor);
    const second = await stack.request(
      'GET',
      `/v1/apps/${app.appId}/webhook-stats?limit=1&cursor=${encodeURIComponent(first.body.next_cursor)}`,
    );
    assert.deepEqual(
      second.body.data.map((s: { webhook_id: string }) => s.webhook_id),
      [idle.body.id],
    );
    assert.equal(second.body.next_cursor, null);
  });

  test('the series has every bucket of the window, with attempts in the current one', async () => {
    const app = await stack.createAppWithWebhook(receiver.url, { name: 'Series App' });
    receiver.answer({ status: 503, body: 'later' });
    await postAndWait(app.appId, messageEvent());
    const base = `/v1/apps/${app.appId}/webhooks/${app.webhookId}/stats/series`;

    const res = await stack.request('GET', `${base}?window=6h&interval=1h`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.webhook_id, app.webhookId);
    const points: Array<Record<string, any>> = res.body.points;
    assert.equal(points.length, 7, 'from the bucket holding now - 6h to the one holding now');
    for (let i = 1; i < points.length; i++) {
      assert.equal(Date.parse(points[i]!.start) - Date.parse(points[i - 1]!.start), 3_600_000);
    }
    assert.equal(Date.parse(points[0]!.start) % 3_600_000, 0, 'aligned to whole hours');
    const now = points.at(-1)!;
    assert.equal(now.attempts, 2);
    assert.equal(now.succeeded, 1);
    assert.equal(now.success_rate, 0.5);
    assert.ok(now.response_time_ms.p50 >= 0 && now.response_time_ms.p99 >= now.response_time_ms.p50);
    for (const p of points.slice(0, -1)) {
      assert.deepEqual(
        { attempts: p.attempts, rate: p.success_rate, p50: p.response_time_ms.p50 },
        { attempts: 0, rate: null, p50: null },
      );
    }
    const defaults = await stack.request('GET', base);
    assert.equal(defaults.body.window, '24h');
    assert.equal(defaults.body.interval, '1h');
    assert.equal(defaults.body.points.length, 25);

    const tooMany = await stack.request('GET', `${base}?window=30d&interval=1m`);
    assert.equal(tooMany.status, 422);
    assert.equal(tooMany.body.error.code, 'invalid_window');
    assert.match(tooMany.body.error.message, /more than 1000 buckets/);
    const badInterval = await stack.request('GET', `${base}?interval=30s`);
    assert.equal(badInterval.status, 400);
    assert.equal(badInterval.body.error.details[0].field, 'interval');
    const unknown = await stack.request('GET', `/v1/apps/${app.appId}/webhooks/wh_nope/stats/series`);
    assert.equal(unknown.status, 404);
  });
});

describe('url checks', () => {
  test("answer the server's own reasons, and save nothing", async () => {
    const app = await stack.createAppWithWebhook(receiver.url, { name: 'Check App' });
    const check = async (url: string) => {
      const res = await stack.request('POST', `/v1/apps/${app.appId}/url-checks`, { url }, { key: app.appKey });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    assert.deepEqual(await check('https://hooks.example.com/catch/1'), {
      allowed: true,
      url: 'https://hooks.example.com/catch/1',
      reason: null,
      warning: null,
    });
    const privateName = await check('https://intranet.example.com/hook');
    assert.equal(privateName.allowed, false);
    assert.match(privateName.reason, /resolves to 10\.1\.2\.3/);
    const privateIp = await check('https://192.168.1.10/hook');
    assert.equal(privateIp.allowed, false);
    assert.match(privateIp.reason, /192\.168\.1\.10/);
    const half = await check('hooks.exam');
    assert.equal(half.allowed, false);
    assert.ok(half.reason.length > 0);
    const unresolved = await check('https://not-yet.example.com/hook');
    assert.equal(unresolved.allowed, true);
    assert.match(unresolved.warning, /does not resolve/);

    const hooks = await stack.request('GET', `/v1/apps/${app.appId}/webhooks`);
    assert.equal(hooks.body.data.length, 1, 'nothing saved');
    const missing = await stack.request('POST', `/v1/apps/${app.appId}/url-checks`, {});
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.details[0].field, 'url');
    // NUL is the one character no string may hold; the schema says so (Schemathesis found the document silent).
    const nul = await stack.request('POST', `/v1/apps/${app.appId}/url-checks`, { url: 'https://a\u0000b' });
    assert.equal(nul.status, 400);
    assert.match(nul.body.error.message, /url: must not contain NUL/);
  });
});

describe('event types', () => {
  test("are named as the settings page names them, with fields and this app's example", async () => {
    const app = await stack.createAppWithWebhook(receiver.url, { name: 'Catalogue App' });
    await stack.request('PATCH', `/v1/apps/${app.appId}`, { privacy: { share_user_email: false } });
    const res = await stack.request('GET', `/v1/apps/${app.appId}/event-types`, undefined, { key: app.appKey });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.data.map((t: { type: string; name: string }) => [t.type, t.name]),
      [
        ['message_sent', 'Message Sent'],
        ['user_signup', 'New User Signup'],
        ['custom_condition', 'Custom Conditions'],
        ['conversation_end', 'Conversation End'],
      ],
    );
    const message = res.body.data[0];
    assert.equal(message.description, 'Triggers when a user sends a message to your AI app');
    assert.equal(message.payload_event, 'Message sent');
    assert.equal(message.example.app_name, 'Catalogue App');
    assert.equal(message.example.user_email, null, 'the privacy settings apply');
    assert.equal(message.example.user_name, 'John Doe');
    assert.deepEqual(
      message.fields.slice(0, 7).map((f: { name: string }) => f.name),
      ['event', 'timestamp', 'app_name', 'user_email', 'user_name', 'last_message', 'response'],
    );
    const signup = res.body.data[1];
    assert.equal(signup.fields.find((f: { name: string }) => f.name === 'conversation_id').nullable, true);
    assert.equal(signup.example.last_message, null);
    const condition = res.body.data[2];
    assert.equal(condition.example.event, 'Custom condition');
    assert.equal(condition.example.condition, 'When a user asks about pricing or costs');
    assert.equal(res.body.example_condition_prompts.length, 4);
    // Every example key is a documented field, in the documented order.
    for (const t of res.body.data) {
      const names = t.fields.map((f: { name: string }) => f.name).filter((n: string) => n !== 'test');
      assert.deepEqual(Object.keys(t.example), names, t.type);
    }
  });
});

describe('the portal page', () => {
  test('is served at /portal/ with a strict CSP, its assets cached for good, and every path answering the app', async (t) => {
    if (!fs.existsSync(path.join(PORTAL_DIST_DIR, 'index.html'))) {
      assert.fail('portal/dist is missing: run npm run portal:build (./scripts/setup.sh does)');
    }
    const page = await fetch(`${stack.apiUrl}/portal/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'self' https:\/\/platform\.example\.com(;|$)/);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const html = await page.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(html, /\sstyle=/, 'no inline style attribute');

    const deep = await fetch(`${stack.apiUrl}/portal/webhooks/wh_123`);
    assert.equal(deep.status, 200);
    assert.equal(await deep.text(), html);
    const bare = await fetch(`${stack.apiUrl}/portal`, { redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), '/portal/');

    const asset = /src="(\/portal\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'the page loads its script from /portal/assets/');
    const js = await fetch(`${stack.apiUrl}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(js.headers.get('content-encoding'), 'gzip');
    const missing = await fetch(`${stack.apiUrl}/portal/assets/nope.js`);
    assert.equal(missing.status, 404);
    t.diagnostic(`portal index ${html.length} bytes`);
  });
});
