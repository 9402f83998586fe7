/**
 * `npm run ui:screenshot`: what an operator sees. Starts the service in dev mode (its own data folder and ports),
 * posts a few events of which one fails for good, and photographs the Temporal UI's workflow list filtered by AppId
 * the failed workflow's page, and a message's input as the UI decrypts it through the codec server, with headless Chromium (Debian's `chromium`, driven by playwright-core). The PNGs go
 * to docs/. Not part of the test suite.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { PACKAGE_ROOT } from '../src/package-root';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PORT = 3310;
const UI_PORT = 8310;

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main(): Promise<void> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-ui-'));
  const dev = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'chat-webhooks.js'), 'dev'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(PORT),
      TEMPORAL_PORT: '7310',
      TEMPORAL_UI_PORT: String(UI_PORT),
      RETRY_SCHEDULE: '1s,1s',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  const receiver = http.createServer((req, res) => {
    req.resume();
    res.writeHead(req.url === '/broken' ? 500 : 200).end();
  });
  await new Promise<void>((resolve) => receiver.listen(4310, '127.0.0.1', resolve));
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${PORT}/readyz`)).ok, 'the service');
    const key = fs.readFileSync(path.join(dataDir, 'admin-api-key'), 'utf8').trim();
    const call = async (p: string, body: unknown) =>
      (await fetch(`http://127.0.0.1:${PORT}${p}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json())) as Record<string, any>;
    const app = await call('/v1/apps', { name: 'Pricing Assistant' });
    await call(`/v1/apps/${app.id}/webhooks`, {
      url: 'http://127.0.0.1:4310/zapier',
      events: ['message_sent', 'user_signup'],
    });
    await call(`/v1/apps/${app.id}/webhooks`, { url: 'http://127.0.0.1:4310/broken', events: ['conversation_end'] });
    await call(`/v1/apps/${app.id}/events`, {
      id: 'signup-1',
      type: 'user_signup',
      user: { email: 'jo@example.com', name: 'Jo', logged_in: true },
    });
    const messages: Array<Record<string, any>> = [];
    for (const [i, text] of ['How much is the pro plan?', 'Do you offer a discount for teams?'].entries()) {
      const posted = await call(`/v1/apps/${app.id}/events`, {
        id: `msg-${i + 1}`,
        type: 'message_sent',
        conversation_id: 'conv-42',
        user: { id: 'u-7', email: 'jo@example.com', name: 'Jo', logged_in: true },
        message: text,
        response: 'Let me check.',
      });
      messages.push(posted);
    }
    const failed = await call(`/v1/apps/${app.id}/events`, {
      id: 'end-1',
      type: 'conversation_end',
      conversation_id: 'conv-42',
    });
    // The failing one exhausts its short schedule in a few seconds.
    await new Promise((r) => setTimeout(r, 6_000));

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const query = encodeURIComponent(`AppId="${app.id}"`);
      await page.goto(`http://127.0.0.1:${UI_PORT}/namespaces/default/workflows?query=${query}`, {
        waitUntil: 'networkidle',
      });
      await page.waitForTimeout(1_500);
      await page.screenshot({ path: path.join(PACKAGE_ROOT, 'docs', 'temporal-ui-workflows.png') });
      await page.goto(
        `http://127.0.0.1:${UI_PORT}/namespaces/default/workflows/${encodeURIComponent(failed.workflow_id)}`,
        { waitUntil: 'networkidle' },
      );
      await page.waitForTimeout(1_500);
      await page.screenshot({
        path: path.join(PACKAGE_ROOT, 'docs', 'temporal-ui-failed-workflow.png'),
        fullPage: true,
      });
      // A message's input, decrypted in the browser by the API's codec server (the history holds ciphertext).
      await page.goto(
        `http://127.0.0.1:${UI_PORT}/namespaces/default/workflows/${encodeURIComponent(messages[0]!.workflow_id)}`,
        { waitUntil: 'networkidle' },
      );
      await page.getByText('How much is the pro plan?').first().waitFor({ timeout: 30_000 });
      await page.waitForTimeout(1_000);
      await page.screenshot({ path: path.join(PACKAGE_ROOT, 'docs', 'temporal-ui-decrypted-input.png') });
    } finally {
      await browser.close();
    }
    process.stdout.write(
      'wrote docs/temporal-ui-workflows.png, docs/temporal-ui-failed-workflow.png and docs/temporal-ui-decrypted-input.png\n',
    );
  } finally {
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
