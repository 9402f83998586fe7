/**
 * The one place that reads `process.env`. Every setting is parsed once, with zod, into a grouped and typed object.
 *
 * Two modes:
 * - dev (`chat-webhooks dev`, `npm start`): safe defaults everywhere; missing secrets are generated under DATA_DIR.
 * - production (`NODE_ENV=production`, or the `api`, `worker` and `migrate` subcommands): the values each role needs
 *   (see PRODUCTION_REQUIREMENTS) must be set, and start-up names every one that is missing.
 */
import { z } from 'zod';

import { ConfigError } from './config-error';
import { parseDuration, parseRetrySchedule } from './domain/durations';
import { invalidCidrs } from './security/destination';
import { parsePayloadKeys, type PayloadKey } from './temporal/codec';
import type { TemporalSecurity } from './temporal/connection-options';
import { temporalSecurity } from './temporal/security-settings';
import type { WorkerVersioning } from './temporal/worker-deployment';

export type Role = 'dev' | 'api' | 'worker' | 'migrate' | 'tool';

/** What each production process refuses to start without. docker-compose.yml is tested against this list. */
export const PRODUCTION_REQUIREMENTS = {
  api: ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'ADMIN_API_KEY', 'SECRETS_KEY', 'TEMPORAL_PAYLOAD_KEYS'],
  worker: ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SECRETS_KEY', 'TEMPORAL_PAYLOAD_KEYS'],
  migrate: ['DATABASE_URL'],
} as const satisfies Record<string, readonly string[]>;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = z.coerce.number().int().positive();

const duration = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (typeof parsed === 'number') return parsed;
  ctx.addIssue({ code: 'custom', message: parsed.error });
  return z.NEVER;
});

const retrySchedule = z.string().transform((text, ctx) => {
  const parsed = parseRetrySchedule(text);
  if (Array.isArray(parsed)) return parsed;
  ctx.addIssue({ code: 'custom', message: parsed.error });
  return z.NEVER;
});

const cidrList = z.string().transform((text, ctx) => {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = invalidCidrs(list);
  if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `not CIDR ranges: ${bad.join(', ')}` });
  return list;
});

/** A Worker Deployment name or build id, by the server's rules (Temporal 1.32). */
const versionPart = (kind: 'name' | 'build id') =>
  z
    .string()
    .max(480)
    .refine((v) => !v.startsWith('__'), `a Worker Deployment ${kind} cannot start with __`)
    .refine((v) => kind !== 'name' || !/[.:]/.test(v), 'a Worker Deployment name cannot contain . or :');

const payloadKeys = z.string().transform((text, ctx) => {
  const parsed = parsePayloadKeys(text);
  if (Array.isArray(parsed)) return parsed;
  ctx.addIssue({ code: 'custom', message: parsed.error });
  return z.NEVER;
});

/**
 * One CSP source expression each: a keyword, or scheme://host[:port] with an optional leading `*.` in the host. Anything
 * else (a `;`, a quote, a path) could change the policy's meaning, so it is refused.
 */
const FRAME_SOURCE = /^(?:'self'|'none'|\*|https?:\/\/(?:\*\.)?[A-Za-z0-9.-]+(?::(?:\d{1,5}|\*))?)$/;
const frameAncestors = z
  .string()
  .transform((raw) => raw.split(/[\s,]+/).filter(Boolean))
  .refine((list) => list.length > 0, 'PORTAL_FRAME_ANCESTORS needs at least one source')
  .refine((list) => list.every((s) => FRAME_SOURCE.test(s)), {
    message:
      "PORTAL_FRAME_ANCESTORS: each source must be 'self', 'none', * or an origin such as https://app.example.com",
  })
  .refine((list) => !list.includes("'none'") || list.length === 1, "PORTAL_FRAME_ANCESTORS: 'none' stands alone");

/** An origin on localhost is also reached as 127.0.0.1, and the other way round: a browser may use either. */
function loopbackAliases(origin: string): string[] {
  const url = new URL(origin);
  if (url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') return [origin];
  const other = new URL(origin);
  other.hostname = url.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
  return [origin, other.origin];
}

/** Raw environment schema. Optional values without a default are filled per mode in `loadConfig`. */
const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  /** HTTP port of the API. */
  PORT: positiveInt.max(65535).default(3000),
  /** Port of the worker's own /metrics endpoint (the api and dev serve /metrics on PORT); 0 turns it off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Interface the API binds to; dev binds to loopback only. */
  HOST: z.string().optional(),
  /** Bearer key that can reach every app. Dev: generated and kept under DATA_DIR. */
  ADMIN_API_KEY: z.string().min(16, 'ADMIN_API_KEY must be at least 16 characters').optional(),
  /** 32-byte key (base64 or hex) that encrypts webhook signing secrets at rest. Dev: generated under DATA_DIR. */
  SECRETS_KEY: z.string().optional(),
  /** How long the previous signing secret keeps signing beside the new one after a rotation. */
  SECRET_ROTATION_OVERLAP: duration.prefault('24h'),
  /** Postgres connection string. Unset: embedded PGlite under DATA_DIR (dev only). */
  DATABASE_URL: z.string().url().optional(),
  /** Connections in each process's pool. */
  PG_POOL_MAX: positiveInt.max(100).default(10),
  /** Where dev mode keeps the Temporal SQLite file, the embedded database and generated keys. */
  DATA_DIR: z.string().default('.data'),
  /** host:port of a Temporal frontend. Unset: dev mode starts a Temporal dev server. */
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('chat-webhooks'),
  /**
   * Connect to Temporal over TLS. Default: on when any TEMPORAL_TLS_* variable or TEMPORAL_API_KEY is set (Temporal
   * Cloud with an API key needs TLS and nothing else: the system's CAs trust it).
   */
  TEMPORAL_TLS: bool.optional(),
  /** Client certificate for mutual TLS (Temporal Cloud's mTLS auth, a cluster with requireClientAuth): a PEM or its file's path. */
  TEMPORAL_TLS_CERT: z.string().optional(),
  /** The client certificate's private key: a PEM or its file's path. Needed with TEMPORAL_TLS_CERT. */
  TEMPORAL_TLS_KEY: z.string().optional(),
  /** CA that signed the server's certificate, when the system does not trust it: a PEM or its file's path. */
  TEMPORAL_TLS_CA: z.string().optional(),
  /** Name the server's certificate is checked against, when it differs from TEMPORAL_ADDRESS's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  /** Temporal Cloud API key (sent as a bearer token on every call): the key or its file's path. Implies TLS. */
  TEMPORAL_API_KEY: z.string().optional(),
  /** Path of the `temporal` CLI used for the dev server. Unset: PATH, then Python's scripts folder. */
  TEMPORAL_CLI_PATH: z.string().optional(),
  /** gRPC port of the dev server that dev mode starts. */
  TEMPORAL_PORT: positiveInt.max(65535).default(7233),
  /** Web UI port of the dev server that dev mode starts. */
  TEMPORAL_UI_PORT: positiveInt.max(65535).default(8233),
  /** Base URL of the Temporal UI, for links in API answers. Dev: http://localhost:TEMPORAL_UI_PORT. */
  TEMPORAL_UI_URL: z.string().url().optional(),
  /**
   * Keys that encrypt every payload sent to Temporal: `id:key,...`, 32-byte keys as base64 or hex. The first encrypts,
   * all decrypt. Dev: generated under DATA_DIR. Production: required unless TEMPORAL_PAYLOAD_ENCRYPTION=off.
   */
  TEMPORAL_PAYLOAD_KEYS: payloadKeys.optional(),
  /** `off` sends payloads to Temporal in the clear (only where Temporal itself is trusted with chat contents). */
  TEMPORAL_PAYLOAD_ENCRYPTION: z.enum(['on', 'off']).default('on'),
  /** A key for the codec server (/codec) only, for the Temporal UI and CLI; the admin key works too. Dev: generated. */
  CODEC_API_KEY: z.string().min(16, 'CODEC_API_KEY must be at least 16 characters').optional(),
  /** Browser origins (the Temporal UI's) that may call the codec server, comma-separated. Default: TEMPORAL_UI_URL's. */
  CODEC_CORS_ORIGINS: z.string().optional(),
  /** Where app owners reach this API from a browser, for portal links. Unset: the origin each request came to. */
  PUBLIC_URL: z.string().url().optional(),
  /**
   * Who may embed the portal in a frame: CSP frame-ancestors sources, separated by spaces or commas, such as
   * `https://app.example.com https://*.example.com`. Default 'self' (dev adds its example page's origin).
   */
  PORTAL_FRAME_ANCESTORS: frameAncestors.optional(),
  /** Dev only: port of the page that shows the portal embedded from another origin; 0 turns it off. */
  PORTAL_EXAMPLE_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  /** Time one delivery attempt may take, connection to last body byte. */
  DELIVERY_TIMEOUT_MS: positiveInt.max(120_000).default(15_000),
  /** Delays between attempts, comma-separated. Default: Svix's schedule, 8 attempts over about 28 hours. */
  RETRY_SCHEDULE: retrySchedule.prefault(['5s', '5m', '30m', '2h', '5h', '10h', '10h'].join(',')),
  /** A webhook whose every attempt has failed for this long, with no success between, is disabled. */
  ENDPOINT_DISABLE_AFTER: duration.prefault('5d'),
  /**
   * Events per second the events API accepts from one app that has no max_events_per_second of its own; unset: no
   * limit. Above it the API answers 429 rate_limited with Retry-After and writes nothing.
   */
  APP_MAX_EVENTS_PER_SECOND: positiveInt.max(1_000_000).optional(),
  /**
   * Requests one endpoint (scheme, host and port) may have in flight from one worker process: N workers allow N times
   * this to one endpoint.
   */
  ENDPOINT_MAX_IN_FLIGHT: positiveInt.max(1_000).default(10),
  /** Allow plain-http webhook URLs. Dev: true; production: false. */
  ALLOW_HTTP_WEBHOOKS: bool.optional(),
  /** Destination CIDRs allowed even though they are private. Dev: loopback, so local receivers work. */
  DELIVERY_ALLOWED_CIDRS: cidrList.optional(),
  /** Key for the OpenAI-compatible LLM that judges custom conditions. */
  OPENAI_API_KEY: z.string().optional(),
  /** Any OpenAI-compatible server: OpenAI, Azure OpenAI, Ollama (http://localhost:11434/v1), vLLM, LM Studio. */
  OPENAI_BASE_URL: z.string().url().optional(),
  /** Model that judges conditions: a small, cheap one is enough for yes/no verdicts. */
  OPENAI_MODEL: z.string().default('gpt-4o-mini'),
  /** Time one LLM call may take. */
  CONDITIONS_TIMEOUT_MS: positiveInt.max(120_000).default(20_000),
  /** Most recent turns of a conversation an evaluation sees. */
  CONDITIONS_MAX_TURNS: positiveInt.max(500).default(20),
  /** Character budget of the transcript an evaluation sees (older turns are dropped first). */
  CONDITIONS_MAX_CHARS: positiveInt.max(200_000).default(12_000),
  /** Idle time after which a conversation counts as ended and "Conversation end" is sent; 0 turns it off. */
  CONVERSATION_IDLE_TIMEOUT: z
    .union([z.literal('0'), duration])
    .prefault('30m')
    .transform((v) => (v === '0' ? 0 : v)),
  /** After this, delivery payloads, response excerpts and headers, transcripts and evaluation text are deleted. */
  PAYLOAD_RETENTION: duration.prefault('30d'),
  /** After this, delivery and attempt rows and the other per-event rows are deleted too; at least PAYLOAD_RETENTION. */
  LOG_RETENTION: duration.prefault('90d'),
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** A prebuilt workflow bundle (`npm run build` writes dist/workflow-bundle.js); unset: bundled at worker start. */
  WORKFLOW_BUNDLE_PATH: z.string().optional(),
  /** How long a worker waits for running activities on SIGTERM before it gives up. */
  SHUTDOWN_GRACE: duration.prefault('30s'),
  // Worker sizing. No defaults here: unset keeps the Temporal SDK's own (its workflow cache size follows the heap).
  /** Activities (deliveries, database work, LLM calls) one worker runs at a time. */
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.optional(),
  /** Local activities one worker runs at a time. */
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: positiveInt.optional(),
  /** Workflow tasks one worker runs at a time. */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: positiveInt.optional(),
  /** Workflows one worker keeps in its sticky cache. */
  WORKER_MAX_CACHED_WORKFLOWS: positiveInt.optional(),
  // Worker Versioning (Temporal Worker Deployments). Unset: unversioned workers, every workflow change patched.
  /** The Worker Deployment the worker belongs to (docker-compose: chat-webhooks); setting it turns versioning on. */
  TEMPORAL_WORKER_DEPLOYMENT: versionPart('name').optional(),
  /** The worker's build id. Default: a hash of its workflow code, so only a change to workflows is a new version. */
  TEMPORAL_WORKER_BUILD_ID: versionPart('build id').optional(),
  /** auto: a worker whose version was never current or ramping makes it current. manual: the operator does. */
  TEMPORAL_WORKER_PROMOTE: z.enum(['auto', 'manual']).default('auto'),
});

export type Env = Record<string, string | undefined>;

export interface Config {
  mode: 'dev' | 'production';
  http: { port: number; host: string; publicUrl: string | undefined };
  /** The codec server at /codec: its own key, and the browser origins (the Temporal UI) that may call it. */
  codec: { apiKey: string | undefined; corsOrigins: string[] };
  /** The embeddable portal: who may frame it, and (dev) the port of the page that shows it framed. */
  portal: { frameAncestors: string[]; examplePort: number };
  metricsPort: number;
  auth: { adminApiKey: string | undefined };
  secrets: { key: string | undefined; rotationOverlapMs: number };
  /** The default per-app event quota (APP_MAX_EVENTS_PER_SECOND); undefined: none. */
  quotas: { appMaxEventsPerSecond: number | undefined };
  db: { url: string | undefined; poolMax: number };
  dataDir: string;
  temporal: {
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    cliPath: string | undefined;
    devServerPort: number;
    uiPort: number;
    uiUrl: string;
    workflowBundlePath: string | undefined;
    /** Encrypt payloads with these; undefined with encryption on: dev mode generates them. */
    payloadKeys: PayloadKey[] | undefined;
    payloadEncryption: boolean;
    /** TLS, mTLS and API key of every connection to TEMPORAL_ADDRESS. */
    security: TemporalSecurity;
  };
  delivery: {
    timeoutMs: number;
    retryScheduleMs: number[];
    disableAfterMs: number;
    maxInFlightPerEndpoint: number;
    allowHttp: boolean;
    allowedCidrs: string[];
  };
  llm: {
    /** False when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set: conditions are then recorded as skipped. */
    configured: boolean;
    apiKey: string | undefined;
    baseUrl: string | undefined;
    model: string;
    timeoutMs: number;
  };
  conditions: { maxTurns: number; maxChars: number };
  conversation: { idleTimeoutMs: number };
  /** How long the delivery log keeps payloads and rows; the retention schedule's purge applies it. */
  retention: { payloadMs: number; logMs: number };
  log: { level: string };
  shutdownGraceMs: number;
  worker: {
    /** Spread into the SDK's WorkerOptions, so keys are its option names; a key is present only when its variable is set. */
    tuning: {
      maxConcurrentActivityTaskExecutions?: number;
      maxConcurrentLocalActivityExecutions?: number;
      maxConcurrentWorkflowTaskExecutions?: number;
      maxCachedWorkflows?: number;
    };
    /** Worker Versioning; undefined: the worker is unversioned. */
    versioning: WorkerVersioning | undefined;
  };
}

export { ConfigError };

/** Parses the environment once. Throws ConfigError naming every bad or missing variable. */
export function loadConfig(env: Env = process.env, role: Role = 'dev'): Config {
  // Empty strings mean "unset", as they do in docker-compose files and shells.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production' || role === 'api' || role === 'worker' || role === 'migrate';
  // Rows outliving their payloads is the point; payloads outliving their rows cannot happen.
  if (e.LOG_RETENTION < e.PAYLOAD_RETENTION) {
    throw new ConfigError('LOG_RETENTION must be at least PAYLOAD_RETENTION');
  }

  const stray = ['TEMPORAL_WORKER_BUILD_ID', 'TEMPORAL_WORKER_PROMOTE'].filter((name) => cleaned[name] !== undefined);
  if (!e.TEMPORAL_WORKER_DEPLOYMENT && stray.length > 0) {
    throw new ConfigError(`${stray.join(' and ')} need TEMPORAL_WORKER_DEPLOYMENT, the Worker Deployment's name`);
  }

  if (production && role !== 'dev' && role !== 'tool') {
    const missing = PRODUCTION_REQUIREMENTS[role].filter(
      (name) =>
        cleaned[name] === undefined && !(name === 'TEMPORAL_PAYLOAD_KEYS' && e.TEMPORAL_PAYLOAD_ENCRYPTION === 'off'),
    );
    if (missing.length > 0) {
      throw new ConfigError(`Missing required configuration for \`${role}\` in production: ${missing.join(', ')}`);
    }
  }
  if (production && role === 'dev') {
    const missing = [
      'DATABASE_URL',
      'TEMPORAL_ADDRESS',
      'ADMIN_API_KEY',
      'SECRETS_KEY',
      ...(e.TEMPORAL_PAYLOAD_ENCRYPTION === 'off' ? [] : ['TEMPORAL_PAYLOAD_KEYS']),
    ].filter((name) => cleaned[name] === undefined);
    if (missing.length > 0) {
      throw new ConfigError(`NODE_ENV=production needs: ${missing.join(', ')}`);
    }
  }

  return {
    mode: production ? 'production' : 'dev',
    http: {
      port: e.PORT,
      host: e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
      publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    },
    portal: {
      frameAncestors:
        e.PORTAL_FRAME_ANCESTORS ??
        (production || e.PORTAL_EXAMPLE_PORT === 0
          ? ["'self'"]
          : ["'self'", `http://127.0.0.1:${e.PORTAL_EXAMPLE_PORT}`]),
      examplePort: production ? 0 : e.PORTAL_EXAMPLE_PORT,
    },
    metricsPort: e.METRICS_PORT,
    auth: { adminApiKey: e.ADMIN_API_KEY },
    secrets: { key: e.SECRETS_KEY, rotationOverlapMs: e.SECRET_ROTATION_OVERLAP },
    quotas: { appMaxEventsPerSecond: e.APP_MAX_EVENTS_PER_SECOND },
    db: { url: e.DATABASE_URL, poolMax: e.PG_POOL_MAX },
    dataDir: e.DATA_DIR,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      cliPath: e.TEMPORAL_CLI_PATH,
      devServerPort: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      uiUrl: e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_UI_PORT}`,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
      // undefined: dev generates keys (serve.ts); production has them, or has encryption turned off.
      payloadKeys: e.TEMPORAL_PAYLOAD_ENCRYPTION === 'off' ? undefined : e.TEMPORAL_PAYLOAD_KEYS,
      payloadEncryption: e.TEMPORAL_PAYLOAD_ENCRYPTION === 'on',
      security: temporalSecurity({
        tls: e.TEMPORAL_TLS,
        cert: e.TEMPORAL_TLS_CERT,
        key: e.TEMPORAL_TLS_KEY,
        ca: e.TEMPORAL_TLS_CA,
        serverName: e.TEMPORAL_TLS_SERVER_NAME,
        apiKey: e.TEMPORAL_API_KEY,
      }),
    },
    codec: {
      apiKey: e.CODEC_API_KEY,
      corsOrigins: e.CODEC_CORS_ORIGINS
        ? e.CODEC_CORS_ORIGINS.split(',')
            .map((o) => o.trim().replace(/\/+$/, ''))
            .filter(Boolean)
        : loopbackAliases(new URL(e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_UI_PORT}`).origin),
    },
    delivery: {
      timeoutMs: e.DELIVERY_TIMEOUT_MS,
      retryScheduleMs: e.RETRY_SCHEDULE,
      disableAfterMs: e.ENDPOINT_DISABLE_AFTER,
      maxInFlightPerEndpoint: e.ENDPOINT_MAX_IN_FLIGHT,
      allowHttp: e.ALLOW_HTTP_WEBHOOKS ?? !production,
      allowedCidrs: e.DELIVERY_ALLOWED_CIDRS ?? (production ? [] : ['127.0.0.0/8', '::1/128']),
    },
    llm: {
      configured: e.OPENAI_API_KEY !== undefined || e.OPENAI_BASE_URL !== undefined,
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.OPENAI_MODEL,
      timeoutMs: e.CONDITIONS_TIMEOUT_MS,
    },
    conditions: { maxTurns: e.CONDITIONS_MAX_TURNS, maxChars: e.CONDITIONS_MAX_CHARS },
    conversation: { idleTimeoutMs: e.CONVERSATION_IDLE_TIMEOUT },
    retention: { payloadMs: e.PAYLOAD_RETENTION, logMs: e.LOG_RETENTION },
    log: { level: e.LOG_LEVEL },
    shutdownGraceMs: e.SHUTDOWN_GRACE,
    worker: {
      tuning: definedOnly({
        maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
        maxConcurrentLocalActivityExecutions: e.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
        maxConcurrentWorkflowTaskExecutions: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      }),
      versioning: e.TEMPORAL_WORKER_DEPLOYMENT
        ? {
            deploymentName: e.TEMPORAL_WORKER_DEPLOYMENT,
            buildId: e.TEMPORAL_WORKER_BUILD_ID,
            promote: e.TEMPORAL_WORKER_PROMOTE,
          }
        : undefined,
    },
  };
}

/** Drops unset keys, so spreading the result never overrides a default with `undefined`. */
function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
