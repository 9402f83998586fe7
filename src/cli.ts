#!/usr/bin/env node
/**
 * `chat-webhooks <command>`: the only place that wires real dependencies together and listens.
 *
 *   dev       everything in one process: Temporal dev server, embedded Postgres (unless DATABASE_URL), migrations,
 *             worker and API. What `npm start` runs.
 *   api       the HTTP API (production; run any number)
 *   worker    the Temporal worker (production; run any number)
 *   migrate   apply database migrations, then exit (production: run before api and worker)
 *   receiver  a local webhook receiver that prints and verifies what it gets
 *   try-condition  judge one custom condition against a transcript with the configured LLM
 *   replay    send a stored delivery again (through the API)
 *   recover   send again a webhook's failed and skipped deliveries in a window (through the API)
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { Client } from '@temporalio/client';

import { createApp } from './api/app';
import { tryConditionBodySchema } from './api/routes/conditions';
import { createHttpServer } from './api/server';
import { type Config, ConfigError, loadConfig } from './config';
import { startEmbeddedPostgres } from './db/embedded';
import { migrate } from './db/migrate';
import { createPool, type Db } from './db/pool';
import { loadOrCreateDevSecret } from './dev-secrets';
import { createLlmClient, judgeConditions } from './llm/judge';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { createDeliveryAgent } from './outbound/delivery-agent';
import { startPrintingReceiver } from './receiver/print-receiver';
import { generateApiKey } from './security/api-keys';
import { createSecretBox, generateSecretsKey, parseSecretsKey, type SecretBox } from './security/secret-box';
import { createTemporalClient } from './temporal/client';
import { startDevServer } from './temporal/dev-server';
import { registerSearchAttributes } from './temporal/search-attribute-setup';
import { startWorker, type WorkerHandle } from './temporal/worker';
import { VERSION } from './version';

type Stop = () => Promise<void>;

/** Runs the stops in order when SIGTERM or SIGINT arrives; a second signal exits at once. */
function onShutdown(logger: Logger, stops: Stop[]): void {
  let stopping = false;
  const handler = async (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const stop of stops) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

function destinationPolicy(config: Config) {
  return { allowHttp: config.delivery.allowHttp, allowedCidrs: config.delivery.allowedCidrs };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** Stops accepting connections, lets requests in flight finish, and closes idle keep-alive sockets. */
function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

async function startApi(
  config: Config,
  deps: {
    db: Db;
    secrets: SecretBox;
    adminApiKey: string;
    temporalAddress: string;
    logger: Logger;
    metrics: Metrics;
    /** Dev mode: a worker in this process, whose connection the API's client shares so workflows start eagerly. */
    localWorker?: WorkerHandle;
  },
) {
  const temporal = deps.localWorker
    ? {
        client: new Client({ connection: deps.localWorker.connection, namespace: config.temporal.namespace }),
        close: async () => undefined,
      }
    : createTemporalClient({ address: deps.temporalAddress, namespace: config.temporal.namespace });
  const app = createApp({
    db: deps.db,
    temporal: { client: temporal.client, taskQueue: config.temporal.taskQueue, eagerStart: Boolean(deps.localWorker) },
    secrets: deps.secrets,
    adminApiKey: deps.adminApiKey,
    destination: destinationPolicy(config),
    secretRotationOverlapMs: config.secrets.rotationOverlapMs,
    llm: config.llm.configured ? { client: createLlmClient(config.llm), model: config.llm.model } : undefined,
    temporalUi: { baseUrl: config.temporal.uiUrl, namespace: config.temporal.namespace },
    metrics: deps.metrics,
    logger: deps.logger,
  });
  const server = createHttpServer(app);
  await listen(server, config.http.port, config.http.host);
  return {
    server,
    stop: async () => {
      await closeServer(server);
      await temporal.close();
    },
  };
}

async function startConfiguredWorker(
  config: Config,
  deps: { db: Db; secrets: SecretBox; temporalAddress: string; logger: Logger; metrics: Metrics },
): Promise<WorkerHandle> {
  const agent = createDeliveryAgent({
    policy: destinationPolicy(config),
    connectTimeoutMs: Math.min(config.delivery.timeoutMs, 10_000),
  });
  if (!config.llm.configured) {
    deps.logger.warn(
      'no LLM configured (OPENAI_API_KEY or OPENAI_BASE_URL): custom conditions are recorded as skipped and never fire',
    );
  }
  // The worker's own client: conversation idle timers are armed by signal-with-start from an activity.
  const temporal = createTemporalClient({ address: deps.temporalAddress, namespace: config.temporal.namespace });
  const handle = await startWorker({
    address: deps.temporalAddress,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: {
      db: deps.db,
      secrets: deps.secrets,
      http: { dispatcher: agent },
      delivery: config.delivery,
      destination: destinationPolicy(config),
      logger: deps.logger,
      metrics: deps.metrics,
      llm: config.llm.configured ? { client: createLlmClient(config.llm), model: config.llm.model } : undefined,
      conditions: config.conditions,
      conversations:
        config.conversation.idleTimeoutMs > 0
          ? {
              client: temporal.client,
              taskQueue: config.temporal.taskQueue,
              idleTimeoutMs: config.conversation.idleTimeoutMs,
            }
          : undefined,
    },
    workflowBundlePath: config.temporal.workflowBundlePath,
    shutdownGraceMs: config.shutdownGraceMs,
    tuning: config.worker.tuning,
  });
  return {
    ...handle,
    shutdown: async () => {
      await handle.shutdown();
      await agent.close();
      await temporal.close();
    },
  };
}

async function serveMetrics(metrics: Metrics, port: number, host: string): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"code":"not_found","message":"Only /metrics is served here"}}');
      return;
    }
    res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
  });
  await listen(server, port, host);
  return server;
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new ConfigError(`${name} is required`);
  return value;
}

async function runDev(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env, 'dev');
  const logger = createLogger(config.log.level);
  const stops: Stop[] = [];
  onShutdown(logger, stops);

  const admin = config.auth.adminApiKey
    ? { value: config.auth.adminApiKey, file: null, created: false }
    : loadOrCreateDevSecret(config.dataDir, 'admin-api-key', () => generateApiKey('cwk_admin_'));
  const secretsKey =
    config.secrets.key ?? loadOrCreateDevSecret(config.dataDir, 'secrets-key', generateSecretsKey).value;
  const secrets = createSecretBox(parseSecretsKey(secretsKey));

  let databaseUrl = config.db.url;
  const stopDb: Stop[] = [];
  if (!databaseUrl) {
    // One pool in this process plus the migration runner's own connection.
    const embedded = await startEmbeddedPostgres({
      dataDir: path.join(config.dataDir, 'pglite'),
      maxConnections: config.db.poolMax + 5,
    });
    databaseUrl = embedded.url;
    stopDb.push(embedded.stop);
  }
  const applied = await migrate(databaseUrl);
  if (applied.length) logger.info({ migrations: applied }, 'migrations applied');

  let temporalAddress = config.temporal.address;
  const stopTemporal: Stop[] = [];
  if (!temporalAddress) {
    const devServer = await startDevServer({
      cliPath: config.temporal.cliPath,
      namespace: config.temporal.namespace,
      dbFilename: path.join(config.dataDir, 'temporal.db'),
      port: config.temporal.devServerPort,
      uiPort: config.temporal.uiPort,
    });
    temporalAddress = devServer.address;
    stopTemporal.push(devServer.stop);
  }

  const db = createPool(databaseUrl, config.db.poolMax);
  // Dev runs the API and the worker in one process: one registry, one /metrics.
  const metrics = createMetrics();
  const worker = await startConfiguredWorker(config, { db, secrets, temporalAddress, logger, metrics });
  // The API shares the worker's connection: a new event's workflow gets its first task in the answer to the start call
  // (eager start; the benchmark measured e2e p50 −66% in one process). The worker closes that connection after the API stops.
  const api = await startApi(config, {
    db,
    secrets,
    adminApiKey: admin.value,
    temporalAddress,
    logger,
    metrics,
    localWorker: worker,
  });
  // Stop order: no new requests, then no new tasks, then the stores they use.
  stops.push(api.stop, worker.shutdown, () => db.end(), ...stopTemporal, ...stopDb);
  worker.running.catch((error) => {
    logger.fatal({ err: error }, 'worker crashed');
    process.kill(process.pid, 'SIGTERM');
  });

  const lines = [
    '',
    `chat-webhooks ${VERSION} is running (dev mode)`,
    `  API          http://localhost:${config.http.port}`,
    `  Temporal UI  ${config.temporal.address ? '(external Temporal at ' + config.temporal.address + ')' : config.temporal.uiUrl}`,
    `  Database     ${config.db.url ? 'DATABASE_URL' : 'embedded PGlite in ' + path.join(config.dataDir, 'pglite')}`,
  ];
  if (admin.created) lines.push(`  Admin key    ${admin.value}`, `               (shown once; kept in ${admin.file})`);
  else if (admin.file) lines.push(`  Admin key    in ${admin.file}`);
  else lines.push('  Admin key    ADMIN_API_KEY');
  lines.push('Stop with Ctrl+C.', '');
  process.stdout.write(lines.join('\n') + '\n');
}

async function runApi(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env, 'api');
  const logger = createLogger(config.log.level);
  const secrets = createSecretBox(parseSecretsKey(required(config.secrets.key, 'SECRETS_KEY')));
  const db = createPool(required(config.db.url, 'DATABASE_URL'), config.db.poolMax);
  const api = await startApi(config, {
    db,
    secrets,
    adminApiKey: required(config.auth.adminApiKey, 'ADMIN_API_KEY'),
    temporalAddress: required(config.temporal.address, 'TEMPORAL_ADDRESS'),
    logger,
    metrics: createMetrics(),
  });
  onShutdown(logger, [api.stop, () => db.end()]);
  logger.info({ port: config.http.port, version: VERSION }, 'api listening');
}

async function runWorker(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env, 'worker');
  const logger = createLogger(config.log.level);
  const secrets = createSecretBox(parseSecretsKey(required(config.secrets.key, 'SECRETS_KEY')));
  const db = createPool(required(config.db.url, 'DATABASE_URL'), config.db.poolMax);
  const metrics = createMetrics();
  const worker = await startConfiguredWorker(config, {
    db,
    secrets,
    temporalAddress: required(config.temporal.address, 'TEMPORAL_ADDRESS'),
    logger,
    metrics,
  });
  // The worker has no API: it serves its own metrics on METRICS_PORT.
  const metricsServer =
    config.metricsPort > 0 ? await serveMetrics(metrics, config.metricsPort, config.http.host) : undefined;
  onShutdown(logger, [worker.shutdown, ...(metricsServer ? [() => closeServer(metricsServer)] : []), () => db.end()]);
  logger.info({ task_queue: config.temporal.taskQueue, version: VERSION }, 'worker running');
  await worker.running;
}

async function runMigrate(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env, 'migrate');
  const logger = createLogger(config.log.level);
  const applied = await migrate(required(config.db.url, 'DATABASE_URL'));
  logger.info({ migrations: applied }, applied.length ? 'migrations applied' : 'database is up to date');
  // With TEMPORAL_ADDRESS, the namespace gets the search attributes workflows are started with.
  if (config.temporal.address) {
    const temporal = createTemporalClient({ address: config.temporal.address, namespace: config.temporal.namespace });
    try {
      const added = await registerSearchAttributes(temporal.connection, config.temporal.namespace);
      logger.info(
        { namespace: config.temporal.namespace, added },
        added.length ? 'search attributes registered' : 'search attributes are up to date',
      );
    } finally {
      await temporal.close();
    }
  }
}

async function runReceiver(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      secret: { type: 'string' },
      status: { type: 'string', default: '200' },
    },
  });
  const receiver = await startPrintingReceiver({
    port: Number(values.port),
    host: values.host!,
    secret: values.secret,
    status: Number(values.status),
  });
  process.stdout.write(`receiver listening on http://${values.host}:${receiver.port}/ (answers ${values.status})\n`);
}

/**
 * `try-condition --prompt P (--transcript FILE | --message TEXT [--response TEXT])`: judges one condition with the
 * configured LLM, as the dashboard's "try this prompt" does. FILE holds `[{ "role": "user"|"assistant", "text" }]`.
 */
async function runTryCondition(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      prompt: { type: 'string' },
      transcript: { type: 'string' },
      message: { type: 'string' },
      response: { type: 'string' },
    },
  });
  const config = loadConfig(process.env, 'tool');
  if (!config.llm.configured)
    throw new ConfigError('No LLM is configured: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local model');
  const transcript = values.transcript
    ? JSON.parse(fs.readFileSync(values.transcript, 'utf8'))
    : [
        ...(values.message ? [{ role: 'user', text: values.message }] : []),
        ...(values.response ? [{ role: 'assistant', text: values.response }] : []),
      ];
  const body = tryConditionBodySchema.safeParse({ prompt: values.prompt, transcript });
  if (!body.success) {
    throw new ConfigError(
      `try-condition: ${body.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}\n${TRY_USAGE}`,
    );
  }
  const outcome = await judgeConditions(
    createLlmClient(config.llm),
    config.llm.model,
    [{ id: 'condition', prompt: body.data.prompt }],
    body.data.transcript,
  );
  if (outcome.kind !== 'verdicts') {
    process.stderr.write(`The LLM call failed (${outcome.kind}): ${outcome.reason}\n`);
    process.exit(1);
  }
  const verdict = outcome.verdicts.get('condition');
  process.stdout.write(
    `${JSON.stringify({ matched: verdict?.matched ?? null, reason: verdict?.reason ?? 'no verdict given', model: outcome.model, tokens: { prompt: outcome.promptTokens, completion: outcome.completionTokens } }, null, 2)}\n`,
  );
}

/**
 * Operator commands talk to a running API (CHAT_WEBHOOKS_API_URL, default http://localhost:PORT) with the admin key
 * (ADMIN_API_KEY, or dev mode's DATA_DIR/admin-api-key), so they work the same against dev and production.
 */
function apiClient() {
  const config = loadConfig(process.env, 'tool');
  const base = (process.env.CHAT_WEBHOOKS_API_URL ?? `http://localhost:${config.http.port}`).replace(/\/$/, '');
  let key = config.auth.adminApiKey;
  if (!key) {
    try {
      key = fs.readFileSync(path.join(config.dataDir, 'admin-api-key'), 'utf8').trim();
    } catch {
      throw new ConfigError('Set ADMIN_API_KEY (or run from the folder whose .data/admin-api-key dev mode wrote)');
    }
  }
  return async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => ({}))) as Record<string, any>;
    if (res.status >= 400) {
      process.stderr.write(
        `${method} ${route} answered ${res.status}: ${json.error?.message ?? JSON.stringify(json)}\n`,
      );
      process.exit(1);
    }
    return json;
  };
}

/** `replay <delivery-id>`: sends a stored delivery again (same webhook-id, fresh signature). */
async function runReplay(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'idempotency-key': { type: 'string' } },
  });
  const deliveryId = positionals[0];
  if (!deliveryId) throw new ConfigError('usage: chat-webhooks replay <delivery-id> [--idempotency-key KEY]');
  const call = apiClient();
  const { app_id } = await call('GET', `/v1/deliveries/${encodeURIComponent(deliveryId)}`);
  const key = values['idempotency-key'];
  const result = await call(
    'POST',
    `/v1/apps/${app_id}/deliveries/${encodeURIComponent(deliveryId)}/replay`,
    undefined,
    key ? { 'idempotency-key': key } : {},
  );
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

/** `recover --app A --webhook W --since 2h [--until T]`: sends again every failed or skipped delivery in the window. */
async function runRecover(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      app: { type: 'string' },
      webhook: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
    },
  });
  if (!values.app || !values.webhook || !values.since) {
    throw new ConfigError(
      'usage: chat-webhooks recover --app APP_ID --webhook WEBHOOK_ID --since 2h|ISO [--until ISO]',
    );
  }
  const call = apiClient();
  const started = await call('POST', `/v1/apps/${values.app}/webhooks/${values.webhook}/recover`, {
    since: values.since,
    ...(values.until ? { until: values.until } : {}),
  });
  process.stdout.write(`${JSON.stringify(started, null, 2)}\n`);
  process.stdout.write(
    `progress: GET /v1/apps/${values.app}/webhooks/${values.webhook}/recoveries/${started.recovery_id}\n`,
  );
}

const TRY_USAGE =
  'usage: chat-webhooks try-condition --prompt "When ..." (--transcript turns.json | --message TEXT [--response TEXT])';
const USAGE = 'usage: chat-webhooks <dev|api|worker|migrate|receiver|try-condition|replay|recover> [options]';

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const commands: Record<string, () => Promise<void>> = {
    dev: () => runDev(process.env),
    api: () => runApi(process.env),
    worker: () => runWorker(process.env),
    migrate: () => runMigrate(process.env),
    receiver: () => runReceiver(rest),
    'try-condition': () => runTryCondition(rest),
    replay: () => runReplay(rest),
    recover: () => runRecover(rest),
  };
  const run = command ? commands[command] : undefined;
  if (!run) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  try {
    await run();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`chat-webhooks ${command} failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv.slice(2));
