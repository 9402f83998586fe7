/**
 * `npm run contract`: proves the OpenAPI document true with a tool we did not write. It starts the service as
 * production runs it (separate `migrate`, `api` and `worker` processes, NODE_ENV=production) on Postgres
 * (a fresh database on DATABASE_URL's server, or embedded PGlite when unset), a Temporal dev server and an OpenAI-compatible stand-in for the LLM,
 * then runs Schemathesis with every check, stateful phase included, against /openapi.json.
 *
 * It fails on any Schemathesis failure, and when the stateful phase reached fewer than MIN_STATEFUL_OPERATIONS
 * operations with a 2xx answer. The summary goes to stdout; reports (JUnit, NDJSON) to contract/results/.
 *
 *   npm run contract [-- --max-examples N] [-- --stateful-examples N] [-- --stateful-seconds S] [-- --seed S]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import pg from 'pg';

import { startEmbeddedPostgres } from '../src/db/embedded';
import { freePortForChild } from '../src/net/free-port';
import { PACKAGE_ROOT } from '../src/package-root';
import { generateSecretsKey } from '../src/security/secret-box';
import { generatePayloadKeys } from '../src/temporal/codec';
import { findTemporalCli, startDevServer, TEMPORAL_CLI_INSTALL_HELP } from '../src/temporal/dev-server';
import { startFakeLlm } from '../support/fake-llm';

const MIN_STATEFUL_OPERATIONS = 20;
const BIN = path.join(PACKAGE_ROOT, 'bin', 'chat-webhooks.js');
const RESULTS = path.join(PACKAGE_ROOT, 'contract', 'results');

const { values } = parseArgs({
  options: {
    // Per operation, in the coverage and fuzzing phases.
    'max-examples': { type: 'string', default: '30' },
    // Scenarios per round of the stateful phase, and how long its rounds go on.
    'stateful-examples': { type: 'string', default: '100' },
    'stateful-seconds': { type: 'string', default: '90' },
    seed: { type: 'string' },
    st: { type: 'string', default: process.env.SCHEMATHESIS_BIN },
  },
});

const stopping: Array<() => Promise<unknown> | unknown> = [];
let stopped: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopped ??= (async () => {
    for (const stop of stopping.reverse()) await Promise.resolve(stop()).catch(() => undefined);
  })();
  return stopped;
}
// Ctrl+C or CI's kill: nothing this run started is left running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll().then(() => process.exit(130));
  });
}

/** SIGTERM, then SIGKILL if it has not exited within 15 s; resolves once it has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function log(message: string) {
  process.stdout.write(`[contract] ${message}\n`);
}

function startProcess(role: 'api' | 'worker', env: NodeJS.ProcessEnv, logFile: string): Promise<ChildProcess> {
  const ready = role === 'api' ? /"msg":"api listening"/ : /"msg":"worker running"/;
  const child = spawn(process.execPath, [BIN, role], { cwd: PACKAGE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const file = fs.createWriteStream(logFile);
  stopping.push(() => stopChild(child));
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(
      () => reject(new Error(`${role} was not ready within 60 s:\n${output.slice(-3000)}`)),
      60_000,
    );
    let output = '';
    const onData = (chunk: Buffer) => {
      file.write(chunk);
      if (output.length < 200_000) output += chunk.toString('utf8');
      if (ready.test(output)) {
        clearTimeout(timeout);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${role} exited (${code}) before it was ready:\n${output.slice(-3000)}`)),
    );
  });
}

/**
 * Operations the stateful phase answered with a 2xx, from Schemathesis's NDJSON report: each finished stateful
 * scenario records its cases (method and path template) and their interactions (the response status).
 */
function statefulOperationsWith2xx(ndjsonFile: string): Set<string> {
  interface Finished {
    phase?: string;
    recorder?: {
      cases?: Record<string, { value?: { method?: string; path?: string } }>;
      interactions?: Record<string, { response?: { status_code?: number } }>;
    };
  }
  const reached = new Set<string>();
  for (const line of fs.readFileSync(ndjsonFile, 'utf8').split('\n')) {
    let parsed: { ScenarioFinished?: Finished };
    try {
      parsed = JSON.parse(line) as { ScenarioFinished?: Finished };
    } catch {
      continue; // a blank or cut-off last line
    }
    const event = parsed.ScenarioFinished;
    if (event?.phase !== 'stateful') continue;
    for (const [id, interaction] of Object.entries(event.recorder?.interactions ?? {})) {
      const status = interaction.response?.status_code ?? 0;
      const value = event.recorder?.cases?.[id]?.value;
      if (status >= 200 && status < 300 && value?.method && value.path) reached.add(`${value.method} ${value.path}`);
    }
  }
  return reached;
}

async function main(): Promise<number> {
  const st =
    values.st ?? execFileSync(path.join(PACKAGE_ROOT, 'scripts', 'setup-schemathesis.sh'), { encoding: 'utf8' }).trim();
  const cli = findTemporalCli();
  if (!cli) throw new Error(TEMPORAL_CLI_INSTALL_HELP);
  fs.rmSync(RESULTS, { recursive: true, force: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  const work = fs.mkdtempSync(path.join(RESULTS, 'run-'));

  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    // A database of its own on that server: Schemathesis lists every app, and must meet only this run's.
    const server = new URL(databaseUrl);
    const name = `contract_${crypto.randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    stopping.push(async () => {
      const dropper = new pg.Client({ connectionString: databaseUrl });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    });
    server.pathname = `/${name}`;
    databaseUrl = server.toString();
  } else {
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(work, 'pglite'), maxConnections: 20 });
    stopping.push(() => embedded.stop());
    databaseUrl = embedded.url;
  }
  const temporal = await startDevServer({
    cliPath: cli,
    namespace: 'default',
    port: await freePortForChild(),
    logFile: path.join(work, 'temporal.log'),
  });
  stopping.push(() => temporal.stop());
  const llm = await startFakeLlm();
  stopping.push(() => llm.close());

  const adminKey = `cwk_admin_${crypto.randomBytes(16).toString('hex')}`;
  const port = await freePortForChild();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `contract-${crypto.randomBytes(4).toString('hex')}`,
    ADMIN_API_KEY: adminKey,
    SECRETS_KEY: generateSecretsKey(),
    TEMPORAL_PAYLOAD_KEYS: generatePayloadKeys(),
    PORT: String(port),
    HOST: '127.0.0.1',
    METRICS_PORT: '0',
    OPENAI_BASE_URL: llm.baseUrl,
    OPENAI_API_KEY: 'contract-run',
  };
  execFileSync(process.execPath, [BIN, 'migrate'], { cwd: PACKAGE_ROOT, env, stdio: 'inherit' });
  await Promise.all([
    startProcess('api', env, path.join(work, 'api.log')),
    startProcess('worker', env, path.join(work, 'worker.log')),
  ]);
  const base = `http://127.0.0.1:${port}`;
  log(`service on ${base} (production mode), Temporal on ${temporal.address}, LLM stand-in on ${llm.baseUrl}`);

  // Two runs of Schemathesis against the same service: every phase but the stateful one, with --max-examples per
  // operation; then the stateful phase alone, with a budget of its own, so that its chains reach most operations
  // whatever the seed.
  const runs = [
    {
      name: 'examples, coverage and fuzzing',
      phases: 'examples,coverage,fuzzing',
      maxExamples: values['max-examples']!,
    },
    {
      name: 'stateful',
      phases: 'stateful',
      maxExamples: values['stateful-examples']!,
      maxTime: values['stateful-seconds'],
    },
  ];
  let code = 0;
  for (const run of runs) {
    const args = [
      '--config-file',
      path.join(PACKAGE_ROOT, 'contract', 'schemathesis.toml'),
      '--no-color',
      'run',
      `${base}/openapi.json`,
      '-H',
      `Authorization: Bearer ${adminKey}`,
      '--checks',
      'all',
      '--phases',
      run.phases,
      '--max-examples',
      run.maxExamples,
      // The stateful phase repeats its scenarios until this budget is spent.
      ...('maxTime' in run && run.maxTime ? ['--max-time', run.maxTime] : []),
      '--workers',
      '2',
      '--request-timeout',
      '30',
      '--report',
      'junit,ndjson',
      '--report-dir',
      path.join(RESULTS, run.phases === 'stateful' ? 'stateful' : 'other'),
      '--generation-database',
      'none',
      ...(values.seed ? ['--seed', values.seed] : []),
    ];
    log(`${run.name}: ${st} ${args.join(' ').replace(adminKey, '<admin key>')}`);
    const exit = await new Promise<number>((resolve) => {
      // contract/hooks.py works around a CPython 3.11 ast bug inside Hypothesis's reports; see that file.
      const env = {
        ...process.env,
        NO_COLOR: '1',
        SCHEMATHESIS_HOOKS: path.join(PACKAGE_ROOT, 'contract', 'hooks.py'),
      };
      const child = spawn(st, args, { stdio: 'inherit', env });
      stopping.push(() => stopChild(child));
      child.once('error', (error) => {
        log(`could not run ${st}: ${error.message}`);
        resolve(2);
      });
      child.once('exit', (c) => resolve(c ?? 1));
    });
    if (exit !== 0) code = exit;
  }

  const statefulDir = path.join(RESULTS, 'stateful');
  const ndjson = fs.existsSync(statefulDir)
    ? fs.readdirSync(statefulDir).find((f) => f.endsWith('.ndjson'))
    : undefined;
  const reached = ndjson ? statefulOperationsWith2xx(path.join(statefulDir, ndjson)) : new Set<string>();
  log(`stateful phase: ${reached.size} operations answered 2xx: ${[...reached].sort().join(', ')}`);
  // Every code a route answers is declared (and so documented); the API logs any that is not.
  const undeclared = fs
    .readFileSync(path.join(work, 'api.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('route answered an undeclared error code'));
  if (undeclared.length > 0) {
    log(`the API answered error codes its routes do not declare:\n${undeclared.slice(0, 5).join('\n')}`);
    return 1;
  }
  if (code !== 0) {
    log(
      `Schemathesis reported failures (exit ${code}); the service's logs are in ${path.relative(PACKAGE_ROOT, work)}`,
    );
    return 1;
  }
  if (reached.size < MIN_STATEFUL_OPERATIONS) {
    log(`the stateful phase reached ${reached.size} operations with a 2xx, fewer than ${MIN_STATEFUL_OPERATIONS}`);
    return 1;
  }
  log('0 failures');
  return 0;
}

main()
  .then(async (code) => {
    await stopAll();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    await stopAll();
    process.exit(1);
  });
