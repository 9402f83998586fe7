/**
 * The chat-webhooks worker with Temporal worker tuning, for the "worker tuning" measurement only.
 *
 * The product reads no tuning from the environment (src/config.ts has no such variable), although startWorker takes a
 * `tuning` option. So this wires the worker exactly as `chat-webhooks worker` does (src/cli.ts startConfiguredWorker)
 * and passes WORKER_TUNING (JSON) through that option. Keep it in step with src/cli.ts.
 */
import { createDeliveryAgent } from '../../activities/delivery-agent';
import { createLlmClient } from '../../activities/llm-judge';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createMetrics } from '../../src/metrics';
import { createPool } from '../../src/db/pool';
import { createTemporalClient } from '../../src/temporal/client';
import { startWorker } from '../../src/temporal/worker';
import { createSecretBox, parseSecretsKey } from '../../src/security/secret-box';
import { onSigterm } from './shared';

async function main() {
  const config = loadConfig(process.env, 'worker');
  const logger = createLogger(config.log.level);
  const secrets = createSecretBox(parseSecretsKey(config.secrets.key!));
  const db = createPool(config.db.url!, config.db.poolMax);
  const policy = { allowHttp: config.delivery.allowHttp, allowedCidrs: config.delivery.allowedCidrs };
  const agent = createDeliveryAgent({ policy, connectTimeoutMs: Math.min(config.delivery.timeoutMs, 10_000) });
  const temporal = createTemporalClient({ address: config.temporal.address!, namespace: config.temporal.namespace });
  const handle = await startWorker({
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
      metrics: createMetrics(),
      llm: config.llm.configured ? { client: createLlmClient(config.llm), model: config.llm.model } : undefined,
      conditions: config.conditions,
      conversations: config.conversation.idleTimeoutMs > 0
        ? { client: temporal.client, taskQueue: config.temporal.taskQueue, idleTimeoutMs: config.conversation.idleTimeoutMs }
        : undefined,
    },
    workflowBundlePath: config.temporal.workflowBundlePath,
    shutdownGraceMs: config.shutdownGraceMs,
    tuning: process.env.WORKER_TUNING ? JSON.parse(process.env.WORKER_TUNING) : undefined,
  });
  onSigterm(async () => {
    await handle.shutdown();
    await agent.close();
    await temporal.close();
    await db.end();
  });
  await handle.running;
}

void main();
