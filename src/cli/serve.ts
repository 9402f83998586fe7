/**
 * The serving commands: `dev` (everything in one process), `api`, `worker` and `migrate`. Each reads the config,
 * builds its parts through the composition root and runs until SIGTERM or SIGINT.
 */
import http from 'node:http';
import path from 'node:path';

import { Client } from '@temporalio/client';

import { closeServer, listen, startApi, startConfiguredWorker } from '../composition';
import { type Config, ConfigError, loadConfig } from '../config';
import { startEmbeddedPostgres } from '../db/embedded';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createLogger, type Logger } from '../logger';
import { createMetrics, type Metrics } from '../metrics';
import { generateApiKey } from '../security/api-keys';
import { createSecretBox, generateSecretsKey, parseSecretsKey } from '../security/secret-box';
import { createTemporalClient } from '../temporal/client';
import { generatePayloadKeys, parsePayloadKeys, payloadDataConverter, type PayloadKey } from '../temporal/codec';
import { TemporalConnectError } from '../temporal/connection-options';
import { startDevServer } from '../temporal/dev-server';
import { setUpRetentionSchedule } from '../temporal/retention-schedule';
import { registerSearchAttributes } from '../temporal/search-attribute-setup';
import type { WorkerHandle } from '../temporal/worker';
import { type PromotionOutcome, versionLabel } from '../temporal/worker-deployment';
import { VERSION } from '../version';
import { loadOrCreateDevSecret } from './dev-secrets';
import { ensurePortalBuilt } from './portal-build';
import { startPortalExample } from './portal-example';

type Stop = () => Promise<void>;

/** gRPC status codes of a connection that failed, or was refused. */
const UNAVAILABLE = 14;
const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;

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

/**
 * Dev mode encrypts Temporal payloads as production does, with a key generated once under DATA_DIR (unless
 * TEMPORAL_PAYLOAD_KEYS is set, or encryption is off), and gives the codec server a key of its own.
 */
function withDevCodecKeys(config: Config): Config {
  let payloadKeys: PayloadKey[] | undefined;
  if (config.temporal.payloadEncryption) {
    const stored = config.temporal.payloadKeys
      ? undefined
      : loadOrCreateDevSecret(config.dataDir, 'temporal-payload-keys', () => generatePayloadKeys());
    const parsed = stored ? parsePayloadKeys(stored.value) : config.temporal.payloadKeys!;
    if (!Array.isArray(parsed))
      throw new ConfigError(
        `${stored!.file}: ${parsed.error} (deleting it makes a new key, and the histories encrypted under the old one unreadable)`,
      );
    payloadKeys = parsed;
  }
  const codecKey =
    config.codec.apiKey ??
    loadOrCreateDevSecret(config.dataDir, 'codec-api-key', () => generateApiKey('cwk_codec_')).value;
  return { ...config, temporal: { ...config.temporal, payloadKeys }, codec: { ...config.codec, apiKey: codecKey } };
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new ConfigError(`${name} is required`);
  return value;
}

const PROMOTION_MESSAGES: Record<PromotionOutcome, string> = {
  promoted: 'this worker version is now current: new workflows start on it',
  current: 'this worker version is current',
  'not-new':
    'this worker version was current or ramping before: left as it is (TEMPORAL_WORKER_PROMOTE=auto promotes new versions only)',
  manual: 'this worker version waits for the operator to make it current or ramp it (TEMPORAL_WORKER_PROMOTE=manual)',
};

/** The worker's start line (its version, when versioned), then, once known, what promotion did. */
function logWorkerRunning(logger: Logger, config: Config, worker: WorkerHandle): void {
  const version = worker.deploymentVersion && versionLabel(worker.deploymentVersion);
  logger.info(
    { task_queue: config.temporal.taskQueue, version: VERSION, ...(version ? { deployment_version: version } : {}) },
    'worker running',
  );
  worker.promotion?.then(
    (outcome) => logger.info({ deployment_version: version, outcome }, PROMOTION_MESSAGES[outcome]),
    (error: unknown) =>
      logger.error({ deployment_version: version, err: error }, 'could not promote this worker version'),
  );
}

export async function runDev(env: NodeJS.ProcessEnv): Promise<void> {
  const config = withDevCodecKeys(loadConfig(env, 'dev'));
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
      logFile: path.join(config.dataDir, 'temporal.log'),
      port: config.temporal.devServerPort,
      uiPort: config.temporal.uiPort,
      // The UI decrypts payloads through this API's codec server; the UI cannot send headers, so the codec key
      // (which can only encode and decode) is in the path.
      uiCodecEndpoint: config.temporal.payloadKeys
        ? `http://localhost:${config.http.port}/codec/${config.codec.apiKey}`
        : undefined,
    });
    temporalAddress = devServer.address;
    stopTemporal.push(devServer.stop);
  }

  const db = createPool(databaseUrl, config.db.poolMax);
  // Dev runs the API and the worker in one process: one registry, one /metrics.
  const metrics = createMetrics();
  const parts = { config, db, secrets, logger, metrics };
  const worker = await startConfiguredWorker({ ...parts, temporalAddress });
  if (worker.deploymentVersion) logWorkerRunning(logger, config, worker);
  // The API shares the worker's connection: a new event's workflow gets its first task in the answer to the start call
  // (eager start; the benchmark measured e2e p50 −66% in one process). The worker closes that connection after the API stops.
  const client = new Client({
    connection: worker.connection,
    namespace: config.temporal.namespace,
    dataConverter: payloadDataConverter(config.temporal.payloadKeys),
  });
  await setUpRetentionSchedule(client, config, logger);
  ensurePortalBuilt(logger);
  const api = await startApi({ ...parts, adminApiKey: admin.value, temporal: { client, eagerStart: true } });
  const example = config.portal.examplePort > 0 ? await startPortalExample({ port: config.portal.examplePort }) : null;
  // Stop order: no new requests, then no new tasks, then the stores they use.
  stops.push(...(example ? [example.stop] : []), api.stop, worker.shutdown, () => db.end(), ...stopTemporal, ...stopDb);
  worker.running.catch((error) => {
    logger.fatal({ err: error }, 'worker crashed');
    process.kill(process.pid, 'SIGTERM');
  });

  const lines = [
    '',
    `chat-webhooks ${VERSION} is running (dev mode)`,
    `  API          http://localhost:${config.http.port}`,
    `  Portal       http://localhost:${config.http.port}/portal/ (open a link from POST /v1/apps/:app_id/portal-sessions)`,
    ...(example ? [`  Embedding    ${example.url} (the portal in an iframe on another origin)`] : []),
    `  Temporal UI  ${config.temporal.address ? '(external Temporal at ' + config.temporal.address + ')' : config.temporal.uiUrl}`,
    `  Database     ${config.db.url ? 'DATABASE_URL' : 'embedded PGlite in ' + path.join(config.dataDir, 'pglite')}`,
  ];
  if (admin.created) lines.push(`  Admin key    ${admin.value}`, `               (shown once; kept in ${admin.file})`);
  else if (admin.file) lines.push(`  Admin key    in ${admin.file}`);
  else lines.push('  Admin key    ADMIN_API_KEY');
  lines.push('Stop with Ctrl+C.', '');
  process.stdout.write(lines.join('\n') + '\n');
}

export async function runApi(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env, 'api');
  const logger = createLogger(config.log.level);
  const secrets = createSecretBox(parseSecretsKey(required(config.secrets.key, 'SECRETS_KEY')));
  const db = createPool(required(config.db.url, 'DATABASE_URL'), config.db.poolMax);
  const api = await startApi({
    config,
    db,
    secrets,
    logger,
    metrics: createMetrics(),
    adminApiKey: required(config.auth.adminApiKey, 'ADMIN_API_KEY'),
    temporal: { address: required(config.temporal.address, 'TEMPORAL_ADDRESS') },
  });
  onShutdown(logger, [api.stop, () => db.end()]);
  logger.info({ port: config.http.port, version: VERSION }, 'api listening');
}

export async function runWorker(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env, 'worker');
  const logger = createLogger(config.log.level);
  const secrets = createSecretBox(parseSecretsKey(required(config.secrets.key, 'SECRETS_KEY')));
  const db = createPool(required(config.db.url, 'DATABASE_URL'), config.db.poolMax);
  const metrics = createMetrics();
  const worker = await startConfiguredWorker({
    config,
    db,
    secrets,
    logger,
    metrics,
    temporalAddress: required(config.temporal.address, 'TEMPORAL_ADDRESS'),
  });
  // The worker has no API: it serves its own metrics on METRICS_PORT.
  const metricsServer =
    config.metricsPort > 0 ? await serveMetrics(metrics, config.metricsPort, config.http.host) : undefined;
  onShutdown(logger, [worker.shutdown, ...(metricsServer ? [() => closeServer(metricsServer)] : []), () => db.end()]);
  logWorkerRunning(logger, config, worker);
  await worker.running;
}

export async function runMigrate(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadConfig(env, 'migrate');
  const logger = createLogger(config.log.level);
  const applied = await migrate(required(config.db.url, 'DATABASE_URL'));
  logger.info({ migrations: applied }, applied.length ? 'migrations applied' : 'database is up to date');
  // With TEMPORAL_ADDRESS, the namespace gets the search attributes workflows are started with.
  if (config.temporal.address) {
    // Keys are optional here: the schedule's input holds no personal data, and workers read clear payloads too.
    const temporal = createTemporalClient({
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      payloadKeys: config.temporal.payloadKeys,
      security: config.temporal.security,
    });
    try {
      const added = await registerSearchAttributes(temporal.connection, config.temporal.namespace).catch(
        (error: unknown) => {
          // Unreachable, refused by TLS or by the API key: say where and how the connection was made.
          if ([UNAVAILABLE, UNAUTHENTICATED, PERMISSION_DENIED].includes((error as { code?: number }).code ?? -1))
            throw new TemporalConnectError(config.temporal.address!, config.temporal.security, error);
          throw error;
        },
      );
      logger.info(
        { namespace: config.temporal.namespace, added },
        added.length ? 'search attributes registered' : 'search attributes are up to date',
      );
      await setUpRetentionSchedule(temporal.client, config, logger);
    } finally {
      await temporal.close();
    }
  }
}
