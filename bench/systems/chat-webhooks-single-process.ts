/**
 * chat-webhooks' API and worker in one process, with one Temporal Client built on the worker's NativeConnection: the
 * only layout in which the TypeScript SDK can start workflows eagerly (the server hands the new workflow's first task
 * back in the start response, to a worker on the same connection, instead of queueing it).
 *
 * The product has no such layout: `chat-webhooks dev` runs both in one process, but its API and its worker each make
 * their own gRPC Connection, and `startChatEventWorkflow` has no option for `requestEagerStart`. So this wires the
 * product's own pieces (createApp, startWorker, the activities' dependencies) as src/cli.ts does, shares one client,
 * and asks for eager start through a client interceptor when BENCH_EAGER_START=1. Keep it in step with src/cli.ts.
 *
 * env: the production environment of `chat-webhooks api` and `worker` (bench/lib/systems.ts chatEnv), plus
 * BENCH_EAGER_START (1 or 0). Prints `{"ready":true,"statsPort":N}`; GET http://127.0.0.1:N/ answers how many
 * chat-event workflows were started and how many of those the server started eagerly.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { Client, type WorkflowClientInterceptor } from '@temporalio/client';

import { createDeliveryAgent } from '../../src/outbound/delivery-agent';
import { createLlmClient } from '../../src/llm/judge';
import { createApp } from '../../src/api/app';
import { createHttpServer } from '../../src/api/server';
import { loadConfig } from '../../src/config';
import { createPool } from '../../src/db/pool';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createSecretBox, parseSecretsKey } from '../../src/security/secret-box';
import { startWorker } from '../../src/temporal/worker';
import { onSigterm } from './shared';

/** Only the API's starts are measured; conversation timers started by activities go through unchanged. */
function eagerStartInterceptor(
  eager: boolean,
  counts: { started: number; eagerlyStarted: number },
): WorkflowClientInterceptor {
  return {
    async startWithDetails(input, next) {
      if (input.workflowType !== 'chatEventWorkflow') return next(input);
      const output = await next(eager ? { ...input, options: { ...input.options, requestEagerStart: true } } : input);
      counts.started++;
      if (output.eagerlyStarted) counts.eagerlyStarted++;
      return output;
    },
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

async function main() {
  const config = loadConfig(process.env, 'dev');
  const eager = process.env.BENCH_EAGER_START === '1';
  const logger = createLogger(config.log.level);
  const secrets = createSecretBox(parseSecretsKey(config.secrets.key!));
  const db = createPool(config.db.url!, config.db.poolMax);
  const metrics = createMetrics();
  const policy = { allowHttp: config.delivery.allowHttp, allowedCidrs: config.delivery.allowedCidrs };
  const agent = createDeliveryAgent({ policy, connectTimeoutMs: Math.min(config.delivery.timeoutMs, 10_000) });
  const llm = config.llm.configured ? { client: createLlmClient(config.llm), model: config.llm.model } : undefined;
  const counts = { started: 0, eagerlyStarted: 0 };

  // The client needs the worker's connection, which exists once the worker does; activities read `client` only when
  // they run, and no event arrives before the API listens below.
  let client: Client | undefined;
  const conversations =
    config.conversation.idleTimeoutMs > 0
      ? {
          get client(): Client {
            return client!;
          },
          taskQueue: config.temporal.taskQueue,
          idleTimeoutMs: config.conversation.idleTimeoutMs,
        }
      : undefined;
  const worker = await startWorker({
    address: config.temporal.address!,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: {
      db,
      secrets,
      http: { dispatcher: agent },
      delivery: config.delivery,
      destination: policy,
      logger,
      metrics,
      llm,
      conditions: config.conditions,
      conversations,
    },
    workflowBundlePath: config.temporal.workflowBundlePath,
    shutdownGraceMs: config.shutdownGraceMs,
    tuning: config.worker.tuning,
  });
  client = new Client({
    connection: worker.worker.connection!,
    namespace: config.temporal.namespace,
    interceptors: { workflow: [eagerStartInterceptor(eager, counts)] },
  });

  const app = createApp({
    db,
    temporal: { client, taskQueue: config.temporal.taskQueue },
    secrets,
    adminApiKey: config.auth.adminApiKey!,
    destination: policy,
    secretRotationOverlapMs: config.secrets.rotationOverlapMs,
    llm,
    temporalUi: { baseUrl: config.temporal.uiUrl, namespace: config.temporal.namespace },
    metrics,
    logger,
  });
  const server = createHttpServer(app);
  await listen(server, config.http.port, config.http.host);
  const stats = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ eager, ...counts }));
  });
  await listen(stats, 0, '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ ready: true, statsPort: (stats.address() as AddressInfo).port })}\n`);

  onSigterm(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    stats.close();
    await worker.shutdown();
    await agent.close();
    await db.end();
  });
  await worker.running;
}

void main();
