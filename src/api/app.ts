/**
 * Builds the HTTP API without listening, so tests and the CLI wire it to real dependencies the same way.
 */
import type { Client } from '@temporalio/client';
import express from 'express';

import type { Db } from '../db/pool';
import type { LlmClient } from '../llm/judge';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { DestinationPolicy, Resolver } from '../security/destination';
import type { SecretBox } from '../security/secret-box';
import { requireApiKey, scopeToApp } from './auth';
import { parseJsonBody, rejectUnstorableStrings } from './body';
import { ApiError, errorMiddleware } from './errors';
import { createDocsRouter } from './openapi';
import { createAppsRouter } from './routes/apps';
import { createConditionsRouter } from './routes/conditions';
import { createDeliveriesRouter, createDeliveryLookupRouter } from './routes/deliveries';
import { createEvaluationsRouter } from './routes/evaluations';
import { createEventsRouter } from './routes/events';
import { createWebhookStatsRouter } from './routes/webhook-stats';
import { createWebhooksRouter } from './routes/webhooks';

export interface ApiDeps {
  db: Db;
  /**
   * `eagerStart`: the client shares its connection with a worker in this process (dev mode), so a new chat-event
   * workflow can be handed its first task in the answer to the start call instead of waiting for a poller.
   */
  temporal: { client: Client; taskQueue: string; startTimeoutMs?: number; eagerStart?: boolean };
  secrets: SecretBox;
  adminApiKey: string;
  /** Where webhooks may point; `resolver` is injectable so tests need no outside DNS. */
  destination: DestinationPolicy & { resolver?: Resolver };
  secretRotationOverlapMs: number;
  /** The condition judge, for "try this prompt" and for warnings; undefined when no LLM is configured. */
  llm: LlmClient | undefined;
  /** How long `POST .../test` waits for the outcome before answering 202. */
  testSendWaitMs?: number;
  /** Where the delivery log links workflows to; default http://localhost:8233, namespace default. */
  temporalUi?: { baseUrl: string; namespace: string };
  /** This process's metrics, served at GET /metrics. */
  metrics: Metrics;
  logger: Logger;
}

export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(parseJsonBody, rejectUnstorableStrings);

  // Liveness: the process answers. Needs no key.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Readiness: Postgres and Temporal both answer within 2 s. Needs no key; names no detail beyond up or down.
  app.get('/readyz', async (_req, res) => {
    const deadline = Date.now() + 2_000;
    const within = (check: Promise<unknown>) =>
      Promise.race([
        check,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('timeout')), deadline - Date.now()).unref(),
        ),
      ]).then(
        () => 'up' as const,
        () => 'down' as const,
      );
    const temporalCheck = deps.temporal.client.connection.withDeadline(deadline, () =>
      deps.temporal.client.workflowService.getSystemInfo({}),
    );
    const [postgres, temporal] = await Promise.all([
      within(deps.db.query('SELECT 1')),
      // Dev mode's client shares a worker's native connection, which retries an unreachable server past the deadline
      // it is given: its answer is raced against the deadline. The gRPC client ends its own call at the deadline.
      deps.temporal.eagerStart
        ? within(temporalCheck)
        : temporalCheck.then(
            () => 'up' as const,
            () => 'down' as const,
          ),
    ]);
    const ready = postgres === 'up' && temporal === 'up';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { postgres, temporal } });
  });

  // Prometheus scrapes without a key: expose the API port's /metrics on an internal network only.
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  // The OpenAPI document and its browsable reference: no key needed.
  app.use(createDocsRouter());

  const v1 = express.Router();
  v1.use(requireApiKey(deps));
  // Every route under an app checks first that the key reaches it.
  v1.use('/apps/:app_id', scopeToApp(deps));
  v1.use('/apps', createAppsRouter(deps));
  v1.use('/apps/:app_id/webhooks/:webhook_id/stats', createWebhookStatsRouter(deps));
  v1.use('/apps/:app_id/webhooks', createWebhooksRouter({ ...deps, testSendWaitMs: deps.testSendWaitMs ?? 10_000 }));
  v1.use('/apps/:app_id/events', createEventsRouter(deps));
  v1.use('/apps/:app_id/conditions', createConditionsRouter(deps));
  v1.use('/apps/:app_id/evaluations', createEvaluationsRouter(deps));
  v1.use('/apps/:app_id/deliveries', createDeliveriesRouter(deps));
  v1.use('/deliveries', createDeliveryLookupRouter(deps));
  app.use('/v1', v1);

  app.use((req, _res) => {
    throw new ApiError(404, 'not_found', `No route for ${req.method} ${req.path}`);
  });
  app.use(errorMiddleware(deps.logger));
  return app;
}
