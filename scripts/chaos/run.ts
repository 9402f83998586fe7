/**
 * One chaos run: set up the stack and the receivers, send every event while the faults happen, let everything drain,
 * then check and report.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { createChatWebhooksClient, ok } from '../../src/client';
import { findLeaks, payloadKeyMaterial } from '../../support/log-leaks';
import { analyse } from './analysis';
import { type Cleanup, log, seconds } from './common';
import { drainAndGather } from './drain';
import { injectFaults } from './faults';
import { newSendStats, sendEvents } from './load';
import type { Options } from './options';
import { startReceivers } from './receivers';
import { report } from './report';
import { setUpDevStack, setUpProductionStack } from './stacks';

export async function run(opts: Options, cleanup: Cleanup): Promise<boolean> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-chaos-'));
  cleanup.add('temp folder', () => {
    if (opts.keepLogs) log(`logs kept in ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  });
  log(`${opts.events} events, ${opts.webhooks} webhooks, sending over ~${opts.sendSeconds}s; work folder ${tmp}`);

  const setupStart = Date.now();
  const chaos =
    opts.stack === 'production'
      ? await setUpProductionStack(opts, cleanup, tmp)
      : await setUpDevStack(opts, cleanup, tmp);
  const { pool, adminKey, env } = chaos;

  const receivers = await startReceivers(opts.webhooks);
  cleanup.add('receivers', () => receivers.close());

  // One app, one webhook per receiver.
  const chatApi = createChatWebhooksClient({ baseUrl: chaos.apiUrls[0]!, apiKey: adminKey });
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
    apiUrls: chaos.apiUrls,
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
  const faulting = injectFaults({ opts, cleanup, ...chaos.faults, sent: () => stats.done });
  const [, { faults, postgresRestart }] = await Promise.all([sending, faulting]);
  clearInterval(progress);
  if (cleanup.stopping) throw new Error('interrupted');

  const drain = await drainAndGather({ opts, cleanup, pool, temporalAddress: chaos.temporalAddress, appId, receivers });

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
  const logLines = chaos.services.flatMap((s) =>
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
  if (chaos.apiUrls.length > 1) {
    // A load balancer's view: events take turns, a refused one goes to the next api; while one was killed, the others
    // took every event (check e says none was lost).
    const byApi = chaos.apiUrls.map((url) => stats.acceptedBy[url] ?? 0);
    analysis.checks.push({
      id: 'apis',
      name: 'every api process accepted events',
      ok: byApi.every((n) => n > 0),
      detail: byApi.join(' / '),
    });
  }
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
    stack: chaos.stack,
    postgresRestart,
    analysis,
    faults,
    drain,
    stats,
    unexpectedExits: chaos.unexpectedExits(),
    setupMs,
    sendStart,
    sendEnd,
    services: chaos.services,
  });
}
