/**
 * `npm run portal:screenshots`: what an app owner sees, and what the first load costs. Starts the service in dev mode
 * (its own data folder and ports), sets up an app with three webhooks and some traffic (one endpoint failing), opens
 * a portal link in headless Chromium (Debian's `chromium`, driven by playwright-core) and photographs each page into
 * docs/portal-*.png. Then it measures, on fresh browser contexts: the bytes transferred for the first load (gzip, as
 * served), the time until the webhooks list shows, and the API calls that list makes. The figures go to
 * docs/portal-figures.json. Not part of the test suite: figures are not assertions.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { type Browser, chromium, type Page } from 'playwright-core';

import { PACKAGE_ROOT } from '../src/package-root';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PORT = 3320;
const EXAMPLE_PORT = 3321;
const RECEIVER_PORT = 4320;
const API = `http://127.0.0.1:${PORT}`;
const DOCS = path.join(PACKAGE_ROOT, 'docs');

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function shoot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(DOCS, `portal-${name}.png`), fullPage });
  process.stdout.write(`  docs/portal-${name}.png\n`);
}

async function setUp(key: string) {
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${API}${p}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as Record<string, any>;
  };
  const receiver = `http://127.0.0.1:${RECEIVER_PORT}`;
  const app = await call('POST', '/v1/apps', { name: 'Pricing Assistant' });
  const zapier = await call('POST', `/v1/apps/${app.id}/webhooks`, {
    url: `${receiver}/hooks/catch/1234/abcd`,
    description: 'Zapier: new rows in the leads sheet',
    events: ['message_sent', 'user_signup'],
  });
  await call('POST', `/v1/apps/${app.id}/webhooks`, {
    url: `${receiver}/crm/pricing-leads`,
    description: 'CRM: pricing questions',
    events: ['custom_condition'],
    conditions: [
      { prompt: 'When a user asks about pricing or costs' },
      { prompt: 'When the user provides their email address', fire: 'every_match' },
    ],
  });
  await call('POST', `/v1/apps/${app.id}/webhooks`, {
    url: `${receiver}/broken`,
    description: 'Team alerts (endpoint down)',
    events: ['conversation_end', 'message_sent'],
  });
  await call('POST', `/v1/apps/${app.id}/events`, {
    id: 'signup-1',
    type: 'user_signup',
    user: { email: 'jo@example.com', name: 'Jo Park', logged_in: true },
  });
  const messages = [
    'How much is the pro plan?',
    'Do you offer a discount for teams?',
    'Can I pay yearly?',
    'What happens after the trial?',
  ];
  for (const [i, text] of messages.entries()) {
    await call('POST', `/v1/apps/${app.id}/events`, {
      id: `msg-${i + 1}`,
      type: 'message_sent',
      conversation_id: i < 2 ? 'conv-42' : 'conv-43',
      user: { email: 'jo@example.com', name: 'Jo Park', logged_in: true },
      message: text,
      response: 'Let me check that for you.',
    });
  }
  await call('POST', `/v1/apps/${app.id}/events`, {
    id: 'end-1',
    type: 'conversation_end',
    conversation_id: 'conv-42',
  });
  // The failing endpoint exhausts its short schedule (1s, 1s) in a few seconds.
  await new Promise((r) => setTimeout(r, 6_000));
  const session = await call('POST', `/v1/apps/${app.id}/portal-sessions`, { expires_in: '1h' });
  return { app, zapier, link: session.url as string, call };
}

async function figures(browser: Browser, link: string) {
  const runs: Array<{ ms: number; bytes: number; staticBytes: number; calls: string[] }> = [];
  for (let i = 0; i < 5; i++) {
    // A fresh context each time: an empty cache, as on a first visit.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const responses: Array<Promise<{ url: string; bytes: number }>> = [];
    const calls: string[] = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/v1/'))
        calls.push(`${r.method()} ${u.pathname.replace(/app_[A-Za-z0-9]+/, ':app_id')}`);
    });
    page.on('requestfinished', (r) => {
      responses.push(r.sizes().then((s) => ({ url: r.url(), bytes: s.responseBodySize + s.responseHeadersSize })));
    });
    const started = Date.now();
    await page.goto(link);
    await page
      .getByRole('cell', { name: /hooks\/catch\/1234/ })
      .first()
      .waitFor();
    const ms = Date.now() - started;
    await page.waitForLoadState('networkidle');
    const sizes = await Promise.all(responses);
    runs.push({
      ms,
      bytes: sizes.reduce((a, s) => a + s.bytes, 0),
      staticBytes: sizes.filter((s) => new URL(s.url).pathname.startsWith('/portal')).reduce((a, s) => a + s.bytes, 0),
      calls,
    });
    await context.close();
  }
  return {
    first_load_transferred_bytes: { portal_files: runs[0]!.staticBytes, with_api_calls: runs[0]!.bytes },
    time_to_webhooks_list_ms: { median: median(runs.map((r) => r.ms)), runs: runs.map((r) => r.ms) },
    webhooks_list_api_calls: runs[0]!.calls.sort(),
    measured_on: 'localhost, headless Chromium, empty cache, 3 webhooks',
  };
}

async function main(): Promise<void> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-portal-'));
  const dev = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'chat-webhooks.js'), 'dev'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(PORT),
      PORTAL_EXAMPLE_PORT: String(EXAMPLE_PORT),
      TEMPORAL_PORT: '7320',
      TEMPORAL_UI_PORT: '8320',
      RETRY_SCHEDULE: '1s,1s',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  const receiver = http.createServer((req, res) => {
    req.resume();
    if (req.url === '/broken') res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","id":"9f1c"}');
  });
  await new Promise<void>((resolve) => receiver.listen(RECEIVER_PORT, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    await waitFor(async () => (await fetch(`${API}/readyz`)).ok, 'the service');
    const key = fs.readFileSync(path.join(dataDir, 'admin-api-key'), 'utf8').trim();
    const { app, zapier, link, call } = await setUp(key);
    const failed = (await call('GET', `/v1/apps/${app.id}/deliveries?status=failed&limit=1`)).data[0];

    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(link);
    await page
      .getByRole('cell', { name: /hooks\/catch\/1234/ })
      .first()
      .waitFor();
    await shoot(page, 'webhooks');

    await page.goto(`${API}/portal/webhooks/new`);
    await page.getByLabel('Endpoint URL').fill('https://hooks.zapier.com/hooks/catch/1234/abcd');
    await page.getByRole('checkbox', { name: /Message Sent/ }).check();
    await page.getByRole('checkbox', { name: /Custom Conditions/ }).check();
    await page
      .getByRole('group', { name: 'Example prompts' })
      .getByRole('button', { name: 'When a user asks about pricing or costs' })
      .click();
    await page.waitForTimeout(800);
    await shoot(page, 'add-webhook');

    await page.goto(`${API}/portal/webhooks/${zapier.id}`);
    await page.getByRole('button', { name: 'Send test' }).click();
    await page
      .getByText(/"status":"success"/)
      .first()
      .waitFor();
    await shoot(page, 'webhook');

    await page.goto(`${API}/portal/deliveries`);
    await page
      .getByRole('row')
      .filter({ hasText: /failed/i })
      .first()
      .waitFor();
    await shoot(page, 'delivery-log');

    await page.goto(`${API}/portal/deliveries/${failed.id}`);
    await page
      .getByText(/Service Unavailable/)
      .first()
      .waitFor();
    await shoot(page, 'delivery');

    await page.goto(`${API}/portal/events`);
    await page
      .getByText(/Conversation End/)
      .first()
      .waitFor();
    await shoot(page, 'events', false);

    await page.goto(`${API}/portal/settings`);
    await page
      .getByText(/Privacy/i)
      .first()
      .waitFor();
    await shoot(page, 'settings');

    await page.goto(`http://127.0.0.1:${EXAMPLE_PORT}/#link=${encodeURIComponent(link)}`);
    await page
      .frameLocator('iframe')
      .getByRole('cell', { name: /hooks\/catch\/1234/ })
      .first()
      .waitFor();
    await shoot(page, 'embedded', false);

    const measured = await figures(browser, link);
    fs.writeFileSync(path.join(DOCS, 'portal-figures.json'), JSON.stringify(measured, null, 2) + '\n');
    process.stdout.write(`${JSON.stringify(measured, null, 2)}\nwrote docs/portal-figures.json\n`);
  } finally {
    await browser.close();
    receiver.close();
    dev.kill('SIGTERM');
    await new Promise((r) => dev.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
