/**
 * The composition root: the one place that builds the API's and the worker's real dependencies from the config. The
 * CLI's serving commands, the test stack and the benchmark's single-process system all start the service through
 * these functions, so a new dependency is wired once.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

import { type Client } from '@temporalio/client';

import { createApp } from './api/app';
import { PORTAL_DIST_DIR } from './api/portal';
import { createHttpServer } from './api/server';
import type { Config } from './config';
import type { Db } from './db/pool';
import { createLlmClient, type LlmClient } from './llm/judge';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { createDeliveryAgent } from './outbound/delivery-agent';
import type { DestinationPolicy, Resolver } from './security/destination';
import type { SecretBox } from './security/secret-box';
import { createTemporalClient } from './temporal/client';
import { startWorker, type WorkerHandle, type WorkerTuning } from './temporal/worker';

/** What the API and the worker are both built over. */
export interface CoreParts {
  config: Config;
  db: Db;
  secrets: SecretBox;
  logger: Logger;
  metrics: Metrics;
  /** Answers name lookups for destination checks; default: the system resolver. Tests inject one. */
  resolver?: Resolver;
}

export function destinationPolicy(parts: Pick<CoreParts, 'config' | 'resolver'>): DestinationPolicy & {
  resolver?: Resolver;
} {
  const { allowHttp, allowedCidrs } = parts.config.delivery;
  return { allowHttp, allowedCidrs, ...(parts.resolver ? { resolver: parts.resolver } : {}) };
}

/** The condition judge, or undefined when no LLM is configured. */
export function configuredLlm(config: Config): LlmClient | undefined {
  return config.llm.configured ? { client: createLlmClient(config.llm), model: config.llm.model } : undefined;
}

export function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** Stops accepting connections, lets requests in flight finish, and closes idle keep-alive sockets. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

export interface RunningApi {
  server: http.Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the HTTP API. Temporal is reached through `temporal.client` when given (a client on a local worker's
 * connection, so workflows start eagerly; or one with interceptors), else through a lazy connection to `address`.
 */
export async function startApi(
  parts: CoreParts & {
    adminApiKey: string;
    temporal: { client: Client; eagerStart?: boolean } | { address: string };
    /** Default: the config's PORT and HOST. */
    listenOn?: { port: number; host: string };
  },
): Promise<RunningApi> {
  const { config } = parts;
  const temporal =
    'client' in parts.temporal
      ? { client: parts.temporal.client, eagerStart: parts.temporal.eagerStart ?? false, close: async () => undefined }
      : {
          ...createTemporalClient({
            address: parts.temporal.address,
            namespace: config.temporal.namespace,
            payloadKeys: config.temporal.payloadKeys,
            security: config.temporal.security,
          }),
          eagerStart: false,
        };
  const app = createApp({
    db: parts.db,
    temporal: { client: temporal.client, taskQueue: config.temporal.taskQueue, eagerStart: temporal.eagerStart },
    secrets: parts.secrets,
    adminApiKey: parts.adminApiKey,
    destination: destinationPolicy(parts),
    secretRotationOverlapMs: config.secrets.rotationOverlapMs,
    ...(config.quotas.appMaxEventsPerSecond !== undefined
      ? { appMaxEventsPerSecond: config.quotas.appMaxEventsPerSecond }
      : {}),
    llm: configuredLlm(config),
    temporalUi: { baseUrl: config.temporal.uiUrl, namespace: config.temporal.namespace },
    portalBaseUrl: config.http.publicUrl,
    portal: { distDir: PORTAL_DIST_DIR, frameAncestors: config.portal.frameAncestors },
    codec: config.temporal.payloadKeys
      ? { payloadKeys: config.temporal.payloadKeys, apiKey: config.codec.apiKey, corsOrigins: config.codec.corsOrigins }
      : undefined,
    metrics: parts.metrics,
    logger: parts.logger,
  });
  const server = createHttpServer(app);
  const { port, host } = parts.listenOn ?? config.http;
  await listen(server, port, host);
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    stop: async () => {
      await closeServer(server);
      await temporal.close();
    },
  };
}

/**
 * Starts a worker with every activity over its real dependencies. Conversation idle timers are started by an
 * activity, through `conversationsClient` when given, else through the worker's own lazy client.
 */
export async function startConfiguredWorker(
  parts: CoreParts & {
    temporalAddress: string;
    conversationsClient?: Client;
    /** Added to the config's worker tuning (tests shorten the sticky-queue timeout). */
    tuning?: WorkerTuning;
  },
): Promise<WorkerHandle> {
  const { config, logger } = parts;
  const policy = destinationPolicy(parts);
  const agent = createDeliveryAgent({
    policy,
    resolver: parts.resolver,
    connectTimeoutMs: Math.min(config.delivery.timeoutMs, 10_000),
  });
  const llm = configuredLlm(config);
  if (!llm) {
    logger.warn(
      'no LLM configured (OPENAI_API_KEY or OPENAI_BASE_URL): custom conditions are recorded as skipped and never fire',
    );
  }
  const own = parts.conversationsClient
    ? undefined
    : createTemporalClient({
        address: parts.temporalAddress,
        namespace: config.temporal.namespace,
        payloadKeys: config.temporal.payloadKeys,
        security: config.temporal.security,
      });
  const conversationsClient = parts.conversationsClient ?? own!.client;
  const handle = await startWorker({
    address: parts.temporalAddress,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: {
      db: parts.db,
      secrets: parts.secrets,
      http: { dispatcher: agent },
      delivery: config.delivery,
      destination: policy,
      logger,
      metrics: parts.metrics,
      llm,
      conditions: config.conditions,
      conversations:
        config.conversation.idleTimeoutMs > 0
          ? {
              client: conversationsClient,
              taskQueue: config.temporal.taskQueue,
              idleTimeoutMs: config.conversation.idleTimeoutMs,
            }
          : undefined,
    },
    workflowBundlePath: config.temporal.workflowBundlePath,
    payloadKeys: config.temporal.payloadKeys,
    security: config.temporal.security,
    shutdownGraceMs: config.shutdownGraceMs,
    tuning: { ...config.worker.tuning, ...parts.tuning },
    versioning: config.worker.versioning,
    logger,
  });
  return {
    ...handle,
    shutdown: async () => {
      try {
        await handle.shutdown();
      } finally {
        // A worker that crashed still lets go of its sockets.
        await agent.close();
        await own?.close();
      }
    },
  };
}
