/**
 * chat-webhooks' API and worker in one process, with the API's Temporal Client built on the worker's NativeConnection,
 * as `chat-webhooks dev` runs them: the one layout in which the TypeScript SDK can start workflows eagerly (the server
 * hands the new workflow's first task back in the start response, to a worker on the same connection).
 *
 * Both are started through the composition root (src/composition.ts), as the CLI does. What this adds: a client
 * interceptor that counts eager starts, and asks for them only when BENCH_EAGER_START=1, so one binary measures both.
 *
 * env: the production environment of `chat-webhooks api` and `worker` (bench/lib/systems.ts chatEnv), plus
 * BENCH_EAGER_START (1 or 0). Prints `{"ready":true,"statsPort":N}`; GET http://127.0.0.1:N/ answers how many
 * chat-event workflows were started and how many of those the server started eagerly.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { Client, type WorkflowClientInterceptor } from '@temporalio/client';

import { listen, startApi, startConfiguredWorker } from '../../src/composition';
import { loadConfig } from '../../src/config';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createSecretBox, parseSecretsKey } from '../../src/security/secret-box';
import { payloadDataConverter } from '../../src/temporal/codec';
import { WorkflowType } from '../../src/temporal/contracts';
import { onSigterm } from './shared';

/** Only the API's chat-event starts are counted and made eager; conversation timers use the worker's own client. */
function eagerStartInterceptor(
  eager: boolean,
  counts: { started: number; eagerlyStarted: number },
): WorkflowClientInterceptor {
  return {
    async startWithDetails(input, next) {
      if (input.workflowType !== WorkflowType.chatEvent) return next(input);
      const output = await next(eager ? { ...input, options: { ...input.options, requestEagerStart: true } } : input);
      counts.started++;
      if (output.eagerlyStarted) counts.eagerlyStarted++;
      return output;
    },
  };
}

async function main() {
  const config = loadConfig(process.env, 'dev');
  const eager = process.env.BENCH_EAGER_START === '1';
  const parts = {
    config,
    db: createPool(config.db.url!, config.db.poolMax),
    secrets: createSecretBox(parseSecretsKey(config.secrets.key!)),
    logger: createLogger(config.log.level),
    metrics: createMetrics(),
  };
  const counts = { started: 0, eagerlyStarted: 0 };
  const worker = await startConfiguredWorker({ ...parts, temporalAddress: config.temporal.address! });
  const client = new Client({
    connection: worker.connection,
    namespace: config.temporal.namespace,
    dataConverter: payloadDataConverter(config.temporal.payloadKeys),
    interceptors: { workflow: [eagerStartInterceptor(eager, counts)] },
  });
  // The interceptor decides eagerness, so the API itself never asks for it.
  const api = await startApi({ ...parts, adminApiKey: config.auth.adminApiKey!, temporal: { client } });

  const stats = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ eager, ...counts }));
  });
  await listen(stats, 0, '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ ready: true, statsPort: (stats.address() as AddressInfo).port })}\n`);

  onSigterm(async () => {
    await api.stop();
    stats.close();
    await worker.shutdown();
    await parts.db.end();
  });
  await worker.running;
}

void main();
