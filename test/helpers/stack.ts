/**
 * The whole service wired over real parts for one test file: its own database, its own task queue on the shared
 * Temporal dev server, a worker running the prebuilt workflow bundle, and the API listening on 127.0.0.1:0.
 */
import crypto from 'node:crypto';

import { Client, Connection } from '@temporalio/client';

import { type ChatWebhooksClient, type components, createChatWebhooksClient, ok } from '../../src/client';
import { type CoreParts, startApi, startConfiguredWorker } from '../../src/composition';
import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createMetrics, type Metrics } from '../../src/metrics';
import type { DestinationPolicy, Resolver } from '../../src/security/destination';
import { createSecretBox, generateSecretsKey, parseSecretsKey, type SecretBox } from '../../src/security/secret-box';
import { generatePayloadKeys, payloadDataConverter } from '../../src/temporal/codec';
import type { WorkerHandle } from '../../src/temporal/worker';
import { createTestDatabase, type TestDatabase } from './database';

type CreateWebhookBody = components['schemas']['CreateWebhookBody'];

export function temporalAddress(): string {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the suite with `npm test`');
  return address;
}

export interface StackOptions {
  /** Delays between attempts, as RETRY_SCHEDULE is written. Default: `1s,1s`. */
  retrySchedule?: string;
  deliveryTimeoutMs?: number;
  forceEmbeddedDb?: boolean;
  poolMax?: number;
  /** Answers name lookups for the API and the worker; default: the system resolver. */
  resolver?: Resolver;
  /** Default: http allowed, loopback allowed (receivers listen on 127.0.0.1). */
  destination?: DestinationPolicy;
  /** The OpenAI-compatible server that judges conditions (the fake one); unset: no LLM configured. */
  llmBaseUrl?: string;
  llmTimeoutMs?: number;
  conditions?: { maxTurns: number; maxChars: number };
  /** Conversation idle timeout; default 0 (off). */
  conversationIdleMs?: number;
  disableAfterMs?: number;
  maxInFlightPerEndpoint?: number;
  /** TEMPORAL_PAYLOAD_KEYS; default: a fresh key. */
  payloadKeys?: string;
  /** PORTAL_FRAME_ANCESTORS; default 'self'. */
  portalFrameAncestors?: string;
  /** APP_MAX_EVENTS_PER_SECOND; default unset (no quota for apps without their own). */
  appMaxEventsPerSecond?: number;
}

export interface Stack {
  db: TestDatabase;
  client: Client;
  taskQueue: string;
  adminKey: string;
  /** CODEC_API_KEY of this stack's codec server (/codec). */
  codecKey: string;
  secrets: SecretBox;
  apiUrl: string;
  /** Every log line the API and the worker's activities wrote, as JSON text. */
  logs: string[];
  metrics: Metrics;
  /** The generated client (chat-webhooks/client), with the admin key: how a platform backend calls the API. */
  api: ChatWebhooksClient;
  /** The same client with another key (an app key), or none. */
  apiWithKey(key: string | null): ChatWebhooksClient;
  /**
   * A raw JSON request to the API with the admin key (unless `key` says otherwise), for what no typed client sends:
   * bad JSON, wrong types, unknown fields, missing keys.
   */
  request(
    method: string,
    path: string,
    body?: unknown,
    opts?: { key?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** Creates an app and a webhook on `url`; returns their ids and the secret. */
  createAppWithWebhook(
    url: string,
    opts?: {
      events?: CreateWebhookBody['events'];
      name?: string;
      enabled?: boolean;
      conditions?: CreateWebhookBody['conditions'];
    },
  ): Promise<{ appId: string; appKey: string; webhookId: string; secret: string }>;
  close(): Promise<void>;
}

/** The service's config for one stack: the same loadConfig every process uses, from the variables a user would set. */
function stackConfig(opts: StackOptions, taskQueue: string, adminKey: string): Config {
  const destination = opts.destination ?? { allowHttp: true, allowedCidrs: ['127.0.0.0/8', '::1/128'] };
  const config = loadConfig(
    {
      ADMIN_API_KEY: adminKey,
      SECRETS_KEY: generateSecretsKey(),
      TEMPORAL_PAYLOAD_KEYS: opts.payloadKeys ?? generatePayloadKeys(),
      CODEC_API_KEY: `cwk_codec_test_${crypto.randomBytes(12).toString('hex')}`,
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      RETRY_SCHEDULE: opts.retrySchedule ?? '1s,1s',
      DELIVERY_TIMEOUT_MS: String(opts.deliveryTimeoutMs ?? 5_000),
      ENDPOINT_DISABLE_AFTER: `${opts.disableAfterMs ?? 5 * 86_400_000}ms`,
      ENDPOINT_MAX_IN_FLIGHT: String(opts.maxInFlightPerEndpoint ?? 10),
      ...(opts.llmBaseUrl
        ? {
            OPENAI_BASE_URL: opts.llmBaseUrl,
            OPENAI_API_KEY: 'test-key',
            OPENAI_MODEL: 'test-model',
            CONDITIONS_TIMEOUT_MS: String(opts.llmTimeoutMs ?? 5_000),
          }
        : {}),
      CONDITIONS_MAX_TURNS: String(opts.conditions?.maxTurns ?? 20),
      CONDITIONS_MAX_CHARS: String(opts.conditions?.maxChars ?? 12_000),
      CONVERSATION_IDLE_TIMEOUT: opts.conversationIdleMs ? `${opts.conversationIdleMs}ms` : '0',
      WORKFLOW_BUNDLE_PATH: process.env.WORKFLOW_BUNDLE_PATH,
      SHUTDOWN_GRACE: '5s',
      PORTAL_FRAME_ANCESTORS: opts.portalFrameAncestors ?? "'self'",
      ...(opts.appMaxEventsPerSecond ? { APP_MAX_EVENTS_PER_SECOND: String(opts.appMaxEventsPerSecond) } : {}),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'debug',
    },
    'dev',
  );
  // An empty CIDR list means "none" here, where the environment would read it as unset.
  return { ...config, delivery: { ...config.delivery, ...destination } };
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const db = await createTestDatabase({ forceEmbedded: opts.forceEmbeddedDb, poolMax: opts.poolMax });
  const taskQueue = `test-${crypto.randomBytes(6).toString('hex')}`;
  const adminKey = `cwk_admin_test_${crypto.randomBytes(12).toString('hex')}`;
  const config = stackConfig(opts, taskQueue, adminKey);
  const secrets = createSecretBox(parseSecretsKey(config.secrets.key!));
  // Logs are captured, so tests can prove what never appears in them.
  const logs: string[] = [];
  const logger = createLogger(config.log.level, { write: (line: string) => void logs.push(line) });
  const metrics = createMetrics();
  const parts: CoreParts = { config, db: db.pool, secrets, logger, metrics, resolver: opts.resolver };

  const connection = await Connection.connect({ address: temporalAddress() });
  // The same codec as the service's processes: what the tests start and read is encrypted in Temporal too.
  const client = new Client({ connection, dataConverter: payloadDataConverter(config.temporal.payloadKeys) });
  const api = await startApi({
    ...parts,
    adminApiKey: adminKey,
    temporal: { client },
    listenOn: { port: 0, host: '127.0.0.1' },
  });
  const apiUrl = api.url;
  let worker: WorkerHandle | undefined;

  const stack: Stack = {
    db,
    client,
    taskQueue,
    adminKey,
    codecKey: config.codec.apiKey!,
    secrets,
    apiUrl,
    logs,
    metrics,
    async request(method, path, body, ropts = {}) {
      const key = ropts.key === undefined ? adminKey : ropts.key;
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(key !== null ? { authorization: `Bearer ${key}` } : {}),
          ...ropts.headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        // A request that hangs fails its test with a timeout, instead of holding the suite.
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: the test sees the text.
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async startWorker() {
      if (worker) throw new Error('worker already running');
      worker = await startConfiguredWorker({
        ...parts,
        temporalAddress: temporalAddress(),
        conversationsClient: client,
        // A stopped worker's cached workflows move to the normal queue after this; the default (10 s) slows restarts.
        tuning: { stickyQueueScheduleToStartTimeout: '1s' },
      });
    },
    async stopWorker() {
      const w = worker;
      worker = undefined;
      await w?.shutdown();
    },
    api: createChatWebhooksClient({ baseUrl: apiUrl, apiKey: adminKey }),
    apiWithKey: (key) => createChatWebhooksClient({ baseUrl: apiUrl, ...(key === null ? {} : { apiKey: key }) }),
    async createAppWithWebhook(url, o = {}) {
      const app = ok(await stack.api.POST('/v1/apps', { body: { name: o.name ?? 'My App' } }));
      const webhook = ok(
        await stack.api.POST('/v1/apps/{app_id}/webhooks', {
          params: { path: { app_id: app.id } },
          body: {
            url,
            events: o.events ?? ['message_sent'],
            ...(o.enabled === undefined ? {} : { enabled: o.enabled }),
            ...(o.conditions === undefined ? {} : { conditions: o.conditions }),
          },
        }),
      );
      return { appId: app.id, appKey: app.api_key, webhookId: webhook.id, secret: webhook.secret };
    },
    async close() {
      // Every error code a route answered in this file's tests must be one its declaration lists (and so documents).
      const undeclared = logs.filter((line) => line.includes('route answered an undeclared error code'));
      await stack.stopWorker();
      api.server.closeAllConnections();
      await api.stop();
      await connection.close();
      await db.stop();
      if (undeclared.length > 0) throw new Error(`routes answered undeclared error codes:\n${undeclared.join('\n')}`);
    },
  };
  await stack.startWorker();
  return stack;
}

/** A message_sent event body with a fresh id. */
export function messageEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `evt_${crypto.randomBytes(6).toString('hex')}`,
    type: 'message_sent',
    occurred_at: '2024-01-01T12:00:00.000Z',
    conversation_id: 'conv_1',
    user: { id: 'u_1', email: 'user@example.com', name: 'John Doe', logged_in: true },
    message: 'User message',
    response: 'App response message',
    ...overrides,
  };
}
