/**
 * Builds the HTTP API without listening, so tests and the CLI wire it to real dependencies the same way. The routes
 * are declared in routes/ (one declaration each, see route.ts); this file only puts them in order.
 */
import type { Client } from '@temporalio/client';
import express from 'express';

import type { Db } from '../db/pool';
import type { LlmClient } from '../llm/judge';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { DestinationPolicy, Resolver } from '../security/destination';
import type { SecretBox } from '../security/secret-box';
import type { PayloadKey } from '../temporal/codec';
import { createCodecRouter } from './codec-server';
import { ApiError, errorMiddleware } from './errors';
import { createDocsRouter } from './openapi';
import { createPortalRouter, PORTAL_DIST_DIR, type PortalOptions } from './portal';
import { methodNotAllowed, mountRoutes } from './route';
import { API_ROUTES } from './routes';

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
  /** Events per second for apps without max_events_per_second of their own (APP_MAX_EVENTS_PER_SECOND); default none. */
  appMaxEventsPerSecond?: number;
  /** The condition judge, for "try this prompt" and for warnings; undefined when no LLM is configured. */
  llm: LlmClient | undefined;
  /** How long `POST .../test` waits for the outcome before answering 202; default 10 s. */
  testSendWaitMs?: number;
  /** Where the delivery log links workflows to; default http://localhost:8233, namespace default. */
  temporalUi?: { baseUrl: string; namespace: string };
  /** Where portal links point (PUBLIC_URL); default: the origin the request came to. */
  portalBaseUrl?: string;
  /** The built portal and who may frame it; default portal/dist, framed by this origin only. */
  portal?: PortalOptions;
  /** The codec server at /codec (payload keys, its own key, the UI's origins); undefined with encryption off. */
  codec?: { payloadKeys: PayloadKey[]; apiKey: string | undefined; corsOrigins: string[] };
  /** This process's metrics, served at GET /metrics. */
  metrics: Metrics;
  logger: Logger;
}

export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  // The OpenAPI document and its browsable reference: no key needed.
  app.use(createDocsRouter());
  // The app owners' portal, a static page that calls this API with its session token.
  app.use(createPortalRouter(deps.portal ?? { distDir: PORTAL_DIST_DIR, frameAncestors: ["'self'"] }));

  if (deps.codec) {
    app.use(
      createCodecRouter({
        payloadKeys: deps.codec.payloadKeys,
        codecApiKey: deps.codec.apiKey,
        adminApiKey: deps.adminApiKey,
        corsOrigins: deps.codec.corsOrigins,
        logger: deps.logger,
      }),
    );
  }

  app.use(methodNotAllowed(API_ROUTES));
  mountRoutes(app, API_ROUTES, deps);

  app.use((req, _res) => {
    throw new ApiError('not_found', `No route for ${req.method} ${req.path}`);
  });
  app.use(errorMiddleware(deps.logger));
  return app;
}
