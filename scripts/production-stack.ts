/**
 * `npm run stack`: production, locally, without Docker. Starts what docker-compose.yml describes as local processes
 * (support/production-stack.ts): a Postgres cluster of its own, the Temporal server on it (persistence and visibility),
 * the Temporal UI server, `chat-webhooks migrate`, two `api` and two `worker` processes from a production build. Prints
 * the addresses and keys, and stops everything on Ctrl+C.
 *
 *   npm run stack                            2 api, 2 worker processes
 *   npm run stack -- --apis 1 --workers 3    other counts
 *   npm run stack -- --no-fairness           matching.enableFairness off on the server
 *   npm run stack -- --keep                  keep the data and logs folder after stopping
 *   npm run stack -- --build-only            build (or find) the Go binaries and the production build, then exit
 *
 * The first run builds the Temporal server, temporal-sql-tool and the UI server with Go (a few minutes); they are
 * cached in ~/.cache/chat-webhooks/go/, so later runs start in seconds. Ports: compose's (API 3000, 3001…, UI 8233,
 * Temporal 7233) when free, other free ones otherwise.
 */
import fs from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';

import { freePortForChild } from '../src/net/free-port';
import { versionLabel, workflowBuildId } from '../src/temporal/worker-deployment';
import { ensureGoBinaries, ensureRelease, STACK_VERSIONS, startProductionStack } from '../support/production-stack';

const USAGE = 'usage: npm run stack -- [--apis N] [--workers N] [--no-ui] [--no-fairness] [--keep] [--build-only]';

async function portOr(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
  return free ? preferred : freePortForChild();
}

function count(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 16) {
    process.stderr.write(`--${name} must be a whole number from 1 to 16, not ${text}\n${USAGE}\n`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  let values;
  try {
    values = parseArgs({
      options: {
        apis: { type: 'string' },
        workers: { type: 'string' },
        'no-ui': { type: 'boolean', default: false },
        'no-fairness': { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        'build-only': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);
  if (values['build-only']) {
    const t = Date.now();
    const [bins] = await Promise.all([ensureGoBinaries(log), ensureRelease(log)]);
    log(`built or found in ${Math.round((Date.now() - t) / 1000)} s: ${bins.server}, ${bins.sqlTool}, ${bins.ui}`);
    return;
  }
  const apis = count('apis', values.apis, 2);
  const workers = count('workers', values.workers, 2);
  const apiPorts: number[] = [];
  for (let i = 0; i < apis; i++) apiPorts.push(await portOr(3000 + i));
  const t0 = Date.now();
  const stack = await startProductionStack({
    apis,
    workers,
    ui: !values['no-ui'],
    fairness: !values['no-fairness'],
    keep: values.keep,
    apiPorts,
    temporalPort: await portOr(7233),
    uiPort: await portOr(8233),
    log,
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write('[stack] stopping\n');
    await stack.stop();
    if (values.keep) process.stderr.write(`[stack] data and logs kept in ${stack.workDir}\n`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const p = stack.processes;
  const workerVersion = versionLabel({
    deploymentName: stack.workerDeployment,
    buildId: workflowBuildId(fs.readFileSync(stack.env.WORKFLOW_BUNDLE_PATH!, 'utf8')),
  });
  process.stdout.write(
    [
      '',
      `chat-webhooks production stack is running (started in ${Math.round((Date.now() - t0) / 1000)} s)`,
      ...stack.apiUrls.map((url, i) => `  API ${i + 1}        ${url}   (pid ${p.apis[i]!.pid})`),
      ...p.workers.map(
        (w, i) => `  Worker ${i + 1}     task queue ${stack.taskQueue}, version ${workerVersion}   (pid ${w.pid})`,
      ),
      `  Temporal     ${stack.temporalAddress}   (server ${STACK_VERSIONS.temporalServer}, pid ${p.temporal.pid})`,
      ...(stack.uiUrl ? [`  Temporal UI  ${stack.uiUrl}   (ui-server ${STACK_VERSIONS.temporalUi})`] : []),
      `  Postgres     ${stack.postgresUrl.replace(/:[^:@/]+@/, ':***@')}   (pid ${p.postgres.pid})`,
      `  Admin key    ${stack.adminApiKey}`,
      `  Logs         ${stack.workDir}/logs/`,
      '',
      '  Try it:',
      `    curl -s -X POST ${stack.apiUrls[0]}/v1/apps -H "Authorization: Bearer ${stack.adminApiKey}" \\`,
      `      -H 'Content-Type: application/json' -d '{"name":"My App"}'`,
      '',
      'Stop with Ctrl+C.',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`npm run stack failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
