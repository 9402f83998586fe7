/**
 * The app-owner portal in real Chromium, against the real service: Temporal, Postgres, the worker and a real
 * receiver. An owner given only a link sets up a webhook (a private URL refused first), sends a test, watches events
 * arrive in the delivery log, and replays a failure; a read session sees and changes nothing; expired and revoked
 * links say so; the portal works in a cross-origin iframe; axe-core finds no serious or critical violation on any
 * page; a webhook can be added with the keyboard alone; the list costs the same API calls for one webhook or many.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Browser, Frame, Page } from 'playwright-core';

import { startPortalExample } from '../../src/cli/portal-example';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { createPortalTokens } from '../../src/security/portal-token';
import { launchChromium, seriousAxeViolations } from '../helpers/browser';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;
let browser: Browser;
let example: { url: string; stop: () => Promise<void> };

before(async () => {
  stack = await startStack({
    retrySchedule: '1s',
    // The example page listens on its own port of 127.0.0.1: another origin than the API.
    portalFrameAncestors: "'self' http://127.0.0.1:*",
    // Receivers are on loopback; 10.0.0.0/8 stays private, so it is refused.
    destination: { allowHttp: true, allowedCidrs: ['127.0.0.0/8'] },
  });
  receiver = await startReceiver();
  browser = await launchChromium();
  example = await startPortalExample({ port: 0 });
});

after(async () => {
  await browser?.close();
  await example?.stop();
  await receiver?.close();
  await stack?.close();
});

async function portalLink(appId: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await stack.request('POST', `/v1/apps/${appId}/portal-sessions`, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.url;
}

async function newApp(name: string): Promise<string> {
  const res = await stack.request('POST', '/v1/apps', { name });
  assert.equal(res.status, 201);
  return res.body.id;
}

async function openPage(url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // The suite runs files side by side on two cores: give a busy machine time before a wait counts as a failure.
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // A CSP refusal shows up as a console error: the portal must not need anything its policy forbids.
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push(`${r.status()} from ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  (page as Page & { problems: string[] }).problems = problems;
  await page.goto(url);
  return page;
}

/** Waits for a locator; on failure, says what the page showed instead. */
async function shown(page: Page, locator: ReturnType<Page['getByText']>, where: string): Promise<void> {
  try {
    await locator.waitFor();
  } catch (error) {
    const text = await page
      .locator('body')
      .innerText()
      .catch(() => '(no body)');
    throw new Error(
      `${where}: ${(error as Error).message}\npage at ${page.url()} showed:\n${text.slice(0, 1500)}\n` +
        `problems: ${JSON.stringify(problemsOf(page))}`,
      { cause: error },
    );
  }
}

function problemsOf(page: Page): string[] {
  return (page as Page & { problems: string[] }).problems;
}

async function postAndWait(appId: string, event: Record<string, unknown>): Promise<void> {
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await stack.client.workflow.getHandle(res.body.workflow_id).result();
}

async function assertAccessible(target: Page | Frame, where: string): Promise<void> {
  const violations = await seriousAxeViolations(target);
  assert.deepEqual(violations, [], `${where}: ${JSON.stringify(violations, null, 2)}`);
}

describe('the portal in Chromium', () => {
  test('an owner with only a link sets up a webhook, tests it, sees events arrive, and replays a failure', async () => {
    const appId = await newApp('Flow App');
    const page = await openPage(await portalLink(appId));
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await assertAccessible(page, 'empty webhooks list');

    // Add a webhook: a private address is refused with the server's reason, as it is typed and on save.
    await page.getByRole('link', { name: 'Add webhook' }).first().click();
    await page.getByRole('heading', { name: /add webhook/i }).waitFor();
    const url = page.getByLabel('Endpoint URL');
    await url.fill('http://10.0.0.5/hook');
    await page
      .getByText(/10\.0\.0\.5 is .*private/i)
      .first()
      .waitFor();
    await page.getByRole('checkbox', { name: /Message Sent/ }).check();
    await assertAccessible(page, 'add webhook form');
    await page.getByRole('button', { name: 'Save webhook' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /10\.0\.0\.5/ })
      .first()
      .waitFor();
    assert.equal((await stack.request('GET', `/v1/apps/${appId}/webhooks`)).body.data.length, 0, 'nothing saved');

    await url.fill(`${receiver.url}/flow`);
    await page
      .getByText(/looks good/i)
      .first()
      .waitFor();
    await page.getByRole('button', { name: 'Save webhook' }).click();
    // The secret is shown once, then the webhook's page.
    await page
      .getByText(/whsec_/)
      .first()
      .waitFor();
    const [webhook] = (await stack.request('GET', `/v1/apps/${appId}/webhooks`)).body.data;
    assert.equal(webhook.url, `${receiver.url}/flow`);
    assert.deepEqual(webhook.events, ['message_sent']);
    const secret = (await stack.request('GET', `/v1/apps/${appId}/webhooks/${webhook.id}/secret`)).body.secret;
    assert.ok(await page.getByText(secret).first().isVisible(), 'the secret shown is the webhook\u2019s');

    // Test the connection: the outcome, with status and the start of the response.
    await page.goto(new URL(`/portal/webhooks/${webhook.id}`, stack.apiUrl).href);
    const before = receiver.requests.length;
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText(/200/).first().waitFor();
    await page
      .getByText(/"ok":true/)
      .first()
      .waitFor();
    assert.equal(receiver.requests.length, before + 1);
    assert.equal(JSON.parse(receiver.requests.at(-1)!.body).test, true);
    await assertAccessible(page, 'webhook page');

    // The backend posts events; they appear in the log.
    await postAndWait(appId, messageEvent({ id: 'evt_flow_1', conversation_id: 'conv_flow' }));
    receiver.setDefault({ status: 500, body: 'receiver down' });
    await postAndWait(appId, messageEvent({ id: 'evt_flow_2', conversation_id: 'conv_flow' }));
    receiver.setDefault({ status: 200, body: '{"ok":true}' });
    await page.getByRole('link', { name: 'Delivery log' }).click();
    await page.getByRole('heading', { name: 'Delivery log', level: 1 }).waitFor();
    const rows = page.getByRole('row');
    await rows
      .filter({ hasText: /failed/i })
      .first()
      .waitFor();
    await rows
      .filter({ hasText: /succeeded/i })
      .first()
      .waitFor();
    await assertAccessible(page, 'delivery log');

    // The failed one, replayed from its page, succeeds.
    const failed = (await stack.request('GET', `/v1/apps/${appId}/deliveries?status=failed`)).body.data;
    assert.equal(failed.length, 1);
    await rows
      .filter({ hasText: /failed/i })
      .first()
      .getByRole('link')
      .first()
      .click();
    await page.getByText('receiver down').first().waitFor();
    await assertAccessible(page, 'delivery page');
    const beforeReplay = receiver.requests.length;
    await page.getByRole('button', { name: 'Replay' }).click();
    await receiver.waitForRequests(beforeReplay + 1);
    const replayed = receiver.requests.at(-1)!;
    assert.equal(JSON.parse(replayed.body).event_id, 'evt_flow_2');
    // The page shows the new attempt, answered 200, and the delivery succeeded.
    await page.getByRole('cell', { name: '200', exact: true }).waitFor();
    const delivery = (await stack.request('GET', `/v1/apps/${appId}/deliveries/${failed[0].id}`)).body;
    assert.equal(delivery.status, 'succeeded');
    assert.equal(delivery.attempts.at(-1).status_code, 200);
    assert.deepEqual(problemsOf(page), []);
  });

  test("recovering a webhook's failed deliveries shows its progress until done", async () => {
    const app = await stack.createAppWithWebhook(`${receiver.url}/recover`, { name: 'Recover App' });
    receiver.setDefault({ status: 503, body: 'down for maintenance' });
    try {
      await postAndWait(app.appId, messageEvent());
      await postAndWait(app.appId, messageEvent());
    } finally {
      receiver.setDefault({ status: 200, body: '{"ok":true}' });
    }
    const page = await openPage(await portalLink(app.appId));
    await page.goto(new URL(`/portal/webhooks/${app.webhookId}`, stack.apiUrl).href);
    await page.getByLabel('Since').selectOption('1h');
    await page.getByRole('button', { name: 'Recover failed deliveries' }).click();
    await page.getByText(/Done: 2 of 2 sent, 2 succeeded, 0 failed/).waitFor({ timeout: 60_000 });
    const failed = (await stack.request('GET', `/v1/apps/${app.appId}/deliveries?status=failed`)).body.data;
    assert.equal(failed.length, 0);
    assert.deepEqual(problemsOf(page), []);
  });

  test('a read session sees everything and can change nothing', async () => {
    const app = await stack.createAppWithWebhook(`${receiver.url}/read`, { name: 'Read App' });
    await postAndWait(app.appId, messageEvent());
    const link = await portalLink(app.appId, { capabilities: 'read' });
    const page = await openPage(link);
    await page
      .getByRole('cell', { name: new RegExp(`${receiver.url}/read`) })
      .first()
      .waitFor();
    await page
      .getByText(/read-only/i)
      .first()
      .waitFor();
    assert.equal(await page.getByRole('link', { name: 'Add webhook' }).count(), 0);

    await page.goto(new URL(`/portal/webhooks/${app.webhookId}`, stack.apiUrl).href);
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page
      .getByText(/Recent deliveries/i)
      .first()
      .waitFor();
    for (const name of ['Send test', 'Reveal secret', 'Rotate secret', 'Disable', 'Delete']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `${name} is absent`);
    }
    await page.getByRole('link', { name: 'Delivery log' }).click();
    await page
      .getByRole('row')
      .filter({ hasText: /succeeded/i })
      .first()
      .getByRole('link')
      .first()
      .click();
    await page
      .getByText(/"last_message"/)
      .first()
      .waitFor();
    assert.equal(await page.getByRole('button', { name: 'Replay' }).count(), 0);

    // The API refuses what the page does not offer, even when forced from the page with its own token.
    const token = new URL(link).hash.replace('#token=', '');
    const forced = await page.evaluate(
      async ({ appId, webhookId, token }) => {
        const res = await fetch(`/v1/apps/${appId}/webhooks/${webhookId}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ enabled: false }),
        });
        return { status: res.status, body: (await res.json()) as { error: { code: string } } };
      },
      { appId: app.appId, webhookId: app.webhookId, token },
    );
    assert.equal(forced.status, 403);
    assert.equal(forced.body.error.code, 'forbidden');
    assert.equal((await stack.request('GET', `/v1/apps/${app.appId}/webhooks/${app.webhookId}`)).body.enabled, true);
  });

  test('expired and revoked links show their own page', async () => {
    const appId = await newApp('Ended App');
    const app = (await stack.request('GET', `/v1/apps/${appId}`)).body;
    const { token } = await createPortalTokens(stack.secrets).issue({
      appId,
      capability: 'manage',
      epoch: app.portal_epoch ?? 0,
      expiresAt: new Date(Date.now() - 60_000),
    });
    const expired = await openPage(new URL(`/portal/#token=${token}`, stack.apiUrl).href);
    await expired
      .getByText(/expired/i)
      .first()
      .waitFor();
    await assertAccessible(expired, 'expired page');

    const link = await portalLink(appId);
    assert.equal((await stack.request('POST', `/v1/apps/${appId}/portal-sessions/revoke`)).status, 204);
    const revoked = await openPage(link);
    await revoked
      .getByText(/revoked/i)
      .first()
      .waitFor();

    const none = await openPage(new URL('/portal/', stack.apiUrl).href);
    await none
      .getByText(/portal link/i)
      .first()
      .waitFor();
  });

  test('works inside a cross-origin iframe', async () => {
    const app = await stack.createAppWithWebhook(`${receiver.url}/framed`, { name: 'Framed App' });
    const link = await portalLink(app.appId);
    assert.notEqual(new URL(example.url).origin, new URL(link).origin);
    const page = await openPage(`${example.url}#link=${encodeURIComponent(link)}`);
    const frame = page.frameLocator('iframe[title="Webhooks portal"]');
    await frame
      .getByRole('cell', { name: new RegExp(`${receiver.url}/framed`) })
      .first()
      .waitFor();
    await frame.getByRole('link', { name: 'Events' }).click();
    await frame
      .getByRole('heading', { name: /Message Sent/ })
      .first()
      .waitFor();
    assert.deepEqual(problemsOf(page), []);
  });

  test('axe-core finds no serious or critical violation on any page, in light and dark', async () => {
    const app = await stack.createAppWithWebhook(`${receiver.url}/axe`, {
      name: 'Axe App',
      events: ['message_sent', 'custom_condition'],
      conditions: [{ prompt: 'When a user asks about pricing or costs' }],
    });
    await postAndWait(app.appId, messageEvent());
    const delivery = (await stack.request('GET', `/v1/apps/${app.appId}/deliveries?limit=1`)).body.data[0];
    for (const mode of ['light', 'dark']) {
      const link = await portalLink(app.appId, { theme: { mode, primary_color: '#4f46e5' } });
      const page = await openPage(link);
      await page
        .getByRole('cell', { name: new RegExp(`${receiver.url}/axe`) })
        .first()
        .waitFor();
      await assertAccessible(page, `${mode}: webhooks`);
      for (const [path, ready] of [
        ['/portal/webhooks/new', /add webhook/i],
        [`/portal/webhooks/${app.webhookId}`, /Recent deliveries/i],
        [`/portal/webhooks/${app.webhookId}/edit`, /edit webhook/i],
        ['/portal/deliveries', /Delivery log/],
        [`/portal/deliveries/${delivery.id}`, /Attempts/i],
        ['/portal/events', /Conversation End/],
        ['/portal/settings', /Privacy/i],
      ] as const) {
        await page.goto(new URL(path, stack.apiUrl).href);
        await shown(page, page.getByText(ready).first(), `${mode}: ${path}`);
        await assertAccessible(page, `${mode}: ${path}`);
      }
      assert.deepEqual(problemsOf(page), []);
    }
  });

  test('a webhook can be added with the keyboard alone', async () => {
    const appId = await newApp('Keyboard App');
    const page = await openPage(await portalLink(appId));
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    /** Tab until the focused element matches, as a keyboard user would. */
    const tabTo = async (matches: (el: { tag: string; name: string; type: string }) => boolean, what: string) => {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        // In the page: the focused element's tag, type and accessible name as its label gives it.
        const focused = (await page.evaluate(`(() => {
          const el = document.activeElement;
          const label = el && el.id ? document.querySelector('label[for="' + el.id + '"]')?.textContent : null;
          return {
            tag: el ? el.tagName.toLowerCase() : '',
            type: el && el.type ? el.type : '',
            name: ((el && el.getAttribute('aria-label')) || label || el?.closest('label')?.textContent || el?.textContent || '').trim(),
          };
        })()`)) as { tag: string; name: string; type: string };
        if (matches(focused)) return;
      }
      assert.fail(`Tab never reached ${what}`);
    };
    await tabTo((el) => el.tag === 'a' && el.name === 'Add webhook', 'Add webhook');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /add webhook/i }).waitFor();
    await tabTo((el) => el.tag === 'input' && el.name.startsWith('Endpoint URL'), 'the URL field');
    await page.keyboard.type(`${receiver.url}/keyboard`);
    await tabTo((el) => el.type === 'checkbox' && el.name.includes('Conversation End'), 'Conversation End');
    await page.keyboard.press('Space');
    await tabTo((el) => el.tag === 'button' && el.name === 'Save webhook', 'Save webhook');
    await page.keyboard.press('Enter');
    await page
      .getByText(/whsec_/)
      .first()
      .waitFor();
    const hooks = (await stack.request('GET', `/v1/apps/${appId}/webhooks`)).body.data;
    assert.equal(hooks.length, 1);
    assert.equal(hooks[0].url, `${receiver.url}/keyboard`);
    assert.deepEqual(hooks[0].events, ['conversation_end']);
  });

  test('the webhooks list makes the same API calls for one webhook or five', async () => {
    const callsFor = async (webhooks: number): Promise<string[]> => {
      const app = await stack.createAppWithWebhook(`${receiver.url}/count`, { name: `Count ${webhooks}` });
      for (let i = 1; i < webhooks; i++) {
        await stack.request('POST', `/v1/apps/${app.appId}/webhooks`, {
          url: `${receiver.url}/count/${i}`,
          events: ['user_signup'],
        });
      }
      const context = await browser.newContext();
      const page = await context.newPage();
      const calls: string[] = [];
      page.on('request', (r) => {
        const u = new URL(r.url());
        if (u.pathname.startsWith('/v1/')) calls.push(`${r.method()} ${u.pathname.replace(app.appId, ':app')}`);
      });
      await page.goto(await portalLink(app.appId));
      await page
        .getByRole('cell', { name: new RegExp(`${receiver.url}/count`) })
        .first()
        .waitFor();
      await page.waitForLoadState('networkidle');
      await context.close();
      return calls.sort();
    };
    const one = await callsFor(1);
    const five = await callsFor(5);
    assert.deepEqual(five, one);
    assert.ok(one.length <= 4, `a handful of calls: ${one.join(', ')}`);
  });
});
