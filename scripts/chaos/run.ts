/**
 * One chaos run: set up the stack and the receivers, send every event while the faults happen, let everything drain,
 * then check and report.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { bundleWorkflowCode } from '@temporalio/worker';

import { createChatWebhooksClient, ok } from '../../src/client';
import { migrate } from '../../src/db/migrate';
import { createPool, type Db } from '../../src/db/pool';
// Ports below the ephemeral range: the API gets its port back when it restarts, even while other tests run.
import { freePortForChild } from '../../src/net/free-port';
import { generateSecretsKey } from '../../src/security/secret-box';
import { generatePayloadKeys } from '../../src/temporal/codec';
import { findTemporalCli, TEMPORAL_CLI_INSTALL_HELP } from '../../src/temporal/dev-server';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';
import { findLeaks, payloadKeyMaterial } from '../../support/log-leaks';
import { analyse } from './analysis';
import { type Cleanup, log, RUN_START, seconds } from './common';
import { drainAndGather } from './drain';
import { injectFaults } from './faults';
import { newSendStats, sendEvents } from './load';
import { DELIVERY_TIMEOUT_MS, type Options, RETRY_SCHEDULE } from './options';
import { startReceivers } from './receivers';
import { report } from './report';
import { createDatabase, Service, startTemporal, stopTemporal } from './stack';

export async function run(opts: Options, cleanup: Cleanup): Promise<boolean> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-chaos-'));
  cleanup.add('temp folder', () => {
    if (opts.keepLogs) log(`logs kept in ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  });
  log(`${opts.events} events, ${opts.webhooks} webhooks, sending over ~${opts.sendSeconds}s; work folder ${tmp}`);

  // The SDK's downloaded server cannot be restarted, so the launcher's fallback to it is no use here.
  const cli = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  if (!cli)
    throw new Error(`${TEMPORAL_CLI_INSTALL_HELP}\n(the chaos run needs the CLI itself: it restarts the server)`);

  // Setup: database, Temporal and the workflow bundle at once.
  const setupStart = Date.now();
  const serverUrl = process.env.DATABASE_URL || undefined;
  const [db, temporal, bundlePath] = await Promise.all([
    (async () => {
      const created = await createDatabase(serverUrl);
      cleanup.add('database', async () => {
        await created.stop();
        log(created.kind === 'postgres' ? 'chaos database dropped' : 'PGlite stopped');
      });
      await migrate(created.url);
      return created;
    })(),
    (async () => {
      const server = await startTemporal(cli, tmp);
      cleanup.add('Temporal dev server', () => stopTemporal(server));
      return server;
    })(),
    (async () => {
      const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
      const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent as never });
      const file = path.join(tmp, 'workflow-bundle.js');
      fs.writeFileSync(file, bundle.code);
      return file;
    })(),
  ]);
  log(`database ready (${db.kind}), Temporal dev server on ${temporal.address}, workflows bundled`);

  const pool: Db = createPool(db.url, 3);
  cleanup.add('pool', () => pool.end());

  const receivers = await startReceivers(opts.webhooks);
  cleanup.add('receivers', () => receivers.close());

  const adminKey = `cwk_admin_chaos_${crypto.randomBytes(16).toString('hex')}`;
  const apiPort = await freePortForChild();
  const taskQueue = `chaos-${crypto.randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ADMIN_API_KEY: adminKey,
    SECRETS_KEY: generateSecretsKey(),
    TEMPORAL_PAYLOAD_KEYS: generatePayloadKeys(),
    PORT: String(apiPort),
    // The worker's own /metrics is not needed here, and its default port may be taken on a developer's machine.
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    ALLOW_HTTP_WEBHOOKS: 'true',
    DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
    DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS),
    RETRY_SCHEDULE,
    CONVERSATION_IDLE_TIMEOUT: '0',
    WORKFLOW_BUNDLE_PATH: bundlePath,
    SHUTDOWN_GRACE: '5s',
  };
  const api = new Service('api', env, path.join(tmp, 'api.log'), cleanup);
  const worker = new Service('worker', env, path.join(tmp, 'worker.log'), cleanup);
  cleanup.add('api and worker', async () => {
    await Promise.all([api.stop(), worker.stop()]);
  });
  await Promise.all([api.start(), worker.start()]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  log(`api on ${apiUrl} and worker on task queue ${taskQueue} are running`);

  // One app, one webhook per receiver.
  const chatApi = createChatWebhooksClient({ baseUrl: apiUrl, apiKey: adminKey });
  const app = ok(await chatApi.POST('/v1/apps', { body: { name: 'Chaos App' } }));
  const appId = app.id;
  const webhookIds: string[] = [];
  const webhookSecrets: string[] = [];
  for (let i = 0; i < opts.webhooks; i++) {
    const hook = ok(
      await chatApi.POST('/v1/apps/{app_id}/webhooks', {
        params: { path: { app_id: appId } },
        body: { url: receivers.urls[i]!, events: ['message_sent'], description: `chaos receiver ${i}` },
      }),
    );
    receivers.bind(i, hook.id, hook.secret);
    webhookSecrets.push(hook.secret);
    webhookIds.push(hook.id);
  }
  const setupMs = Date.now() - setupStart;
  log(`app ${appId} with ${webhookIds.length} webhooks; setup took ${seconds(setupMs)}s`);

  // Chaos phase: send, and inject faults as the sending progresses.
  const stats = newSendStats();
  const sendStart = Date.now();
  let sendEnd = 0;
  const progress = setInterval(() => {
    log(
      `sent ${stats.done}/${opts.events} (refusals ${stats.refused503 + stats.refused5xx + stats.connectionErrors}), receipts ${receivers.receipts.length}`,
    );
  }, 10_000);
  cleanup.add('progress', () => clearInterval(progress));

  const sending = sendEvents({
    apiUrl,
    key: adminKey,
    appId,
    count: opts.events,
    concurrency: opts.concurrency,
    sendMs: opts.sendSeconds * 1000,
    stats,
    stopped: () => cleanup.stopping,
  }).then(() => {
    sendEnd = Date.now();
    if (!cleanup.stopping) log(`all ${opts.events} events sent in ${seconds(sendEnd - sendStart)}s`);
  });
  const faulting = injectFaults({ opts, cleanup, worker, temporal, db, pool, sent: () => stats.done });
  const [, { faults, postgresRestart }] = await Promise.all([sending, faulting]);
  clearInterval(progress);
  if (cleanup.stopping) throw new Error('interrupted');

  const drain = await drainAndGather({ opts, cleanup, pool, temporalAddress: temporal.address, appId, receivers });

  const analysis = analyse({
    events: opts.events,
    webhookIds,
    appId,
    receipts: receivers.receipts,
    deliveries: drain.deliveries,
    attempts: drain.attempts,
    eventRows: drain.eventRows,
    sendStats: stats,
    faults,
    workflows: drain.workflows,
  });
  // Every line the api and the worker printed, through faults and restarts: no chat content, no secret.
  const logLines = [api, worker].flatMap((s) =>
    fs.existsSync(s.logFile) ? fs.readFileSync(s.logFile, 'utf8').split('\n') : [],
  );
  const leaks = findLeaks(logLines, [
    { what: 'a posted message', value: /Message number \d/ },
    { what: 'a posted response', value: /Response number \d/ },
    { what: "a user's email", value: /user\d+@example\.com/ },
    { what: "a user's name", value: /User \d+\b/ },
    { what: 'the admin key', value: adminKey },
    { what: 'SECRETS_KEY', value: String(env.SECRETS_KEY) },
    ...payloadKeyMaterial(String(env.TEMPORAL_PAYLOAD_KEYS)).map((k) => ({ what: 'a payload key', value: k })),
    ...webhookSecrets.map((secret) => ({ what: 'a signing secret', value: secret.slice('whsec_'.length) })),
  ]);
  analysis.checks.push({
    id: 'logs',
    name: 'no log line holds a message, response, email, name, key or signing secret',
    ok: leaks.length === 0 && logLines.length > 0,
    detail: leaks.length ? leaks.join('; ') : `${logLines.length} lines checked`,
  });
  if (!drain.drained)
    analysis.checks.unshift({
      id: 'drain',
      name: 'everything finished within the drain timeout',
      ok: false,
      detail: `${seconds(opts.drainTimeoutMs)}s`,
    });

  return report({
    opts,
    database: db.kind,
    postgresRestart,
    analysis,
    faults,
    drain,
    stats,
    unexpectedExits: [
      ...api.unexpectedExits.map((e) => ({ process: 'api', ...e })),
      ...worker.unexpectedExits.map((e) => ({ process: 'worker', ...e })),
      // The launcher stamps a Date; the report counts ms since the run started, like everything else.
      ...temporal.unexpectedExits.map((e) => ({ process: 'temporal', ...e, at: e.at.getTime() - RUN_START, tail: '' })),
    ],
    setupMs,
    sendStart,
    sendEnd,
    services: [api, worker],
  });
}
