/**
 * `npm run bench`: chat-webhooks against direct delivery, BullMQ, bare Temporal and the Temporal floor, in one run on this machine, then
 * the effect of each setting that can be changed without touching the product's code. `--help` lists the options.
 *
 * It starts everything it needs (bench/lib/context.ts): a Temporal dev server (in memory), Postgres (a fresh database
 * on DATABASE_URL, else embedded PGlite), Redis for BullMQ (its own redis-server, installed with apt when missing;
 * without it the bullmq row says why it was skipped), a recording receiver and a fake OpenAI-compatible server.
 * Each scenario is a file in bench/scenarios/; the report is drawn by bench/report/. Results go to
 * bench/results/<date>-<sha>.{md,json,png,svg}, or DIR.
 *
 * Every system gets the same chat event body, builds the same payload with the product's payload builder, signs it
 * with `standardwebhooks` and POSTs it to the same receiver process. See bench/lib/load.ts for the load model.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { awaitOptimisationBuilds, startContext } from './lib/context';
import { LIMITS } from './lib/load';
import { elapsedS, log } from './lib/log';
import { BENCH_DIR } from './lib/procs';
import { commandLine, gitDirty, gitSha, machine, machineBusy } from './lib/run-meta';
import { sizesFor } from './lib/sizes';
import { type Comparison, loadComparison } from './report/compare';
import { writeReport } from './report/index';
import { type BenchResults, newResults } from './report/results';
import { runChatSettings } from './scenarios/chat-settings';
import { runConditions } from './scenarios/conditions';
import { runFairness } from './scenarios/fairness';
import { runFanout } from './scenarios/fanout';
import { runPragmas } from './scenarios/pragmas';
import { runOnProductionStack } from './scenarios/production-stack';
import { runProfile } from './scenarios/profile';
import { runRetries } from './scenarios/retries';
import { runSettingsLookup } from './scenarios/settings-lookup';
import { runSingleProcess } from './scenarios/single-process';
import { ALL_SYSTEMS, runSystems } from './scenarios/systems';
import { runWorkerStart } from './scenarios/worker-start';

const USAGE = `npm run bench [-- options]

  --quick            everything small (about 90 s); the figures mean nothing
  --out DIR          write the results into DIR (default: bench/results)
  --only LIST        comma-separated systems to measure (${ALL_SYSTEMS.join(', ')}); fan-out,
                     conditions, the optimisations and the profile need chat-webhooks
  --systems-only     measure the systems only: no fan-out, conditions, optimisations or profile
  --render FILE      write the report and chart again from a results JSON, measuring nothing
  --compare FILE     set chat-webhooks' figures beside those of an earlier results JSON
  --stack production also measure bare-temporal, temporal-floor and chat-webhooks on the production
                     stack (npm run stack: the Temporal server on Postgres), after everything else
  --help             this text
`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    'systems-only': { type: 'boolean', default: false },
    render: { type: 'string' },
    compare: { type: 'string' },
    stack: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

const cleanups: Array<() => Promise<void>> = [];
async function cleanup(): Promise<void> {
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    await fn().catch((error: Error) => log(`cleanup: ${error.message}`));
  }
}

function selectedSystems(): Set<string> {
  const selected = new Set(args.only ? args.only.split(',').map((s) => s.trim()) : ALL_SYSTEMS);
  for (const name of selected)
    if (!ALL_SYSTEMS.includes(name)) throw new Error(`--only: unknown system ${name} (${ALL_SYSTEMS.join(', ')})`);
  return selected;
}

async function report(results: BenchResults, dir: string, base: string, comparison?: Comparison): Promise<void> {
  const files = await writeReport(results, dir, base, comparison);
  log(`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
}

async function measure(): Promise<void> {
  if (args.stack !== undefined && args.stack !== 'production' && args.stack !== 'dev')
    throw new Error(`--stack must be dev or production, not ${args.stack}`);
  const quick = args.quick!;
  const selected = selectedSystems();
  const outDir = path.resolve(args.out ?? path.join(BENCH_DIR, 'results'));
  const sha = gitSha();
  const comparison = args.compare ? loadComparison(args.compare, sha) : undefined;
  const date = new Date().toISOString().slice(0, 10);
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-bench-'));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  log(`${quick ? 'quick' : 'full'} run; results to ${outDir}`);
  const busyBefore = await machineBusy(1_000);
  if (busyBefore > 0.2)
    log(
      `warning: the machine is already ${Math.round(busyBefore * 100)}% busy; figures will be lower than on a quiet machine`,
    );
  const results = newResults({
    date,
    sha,
    dirty: gitDirty(),
    command: commandLine(process.argv.slice(2)),
    quick,
    machine: machine(),
    limits: { ...LIMITS },
    infra: {},
    startedAt: new Date().toISOString(),
    busyBeforeStart: busyBefore,
    loadAverage: { start: os.loadavg()[0]!, end: 0 },
    durationS: 0,
    chatSetup: { apps: 0, webhooks: 0 },
  });

  const sizes = sizesFor(quick);
  const ctx = await startContext({ quick, sizes, tmp, defer: (fn) => cleanups.push(fn) }, results);
  const chat = await runSystems(ctx, results, selected);
  const maxOf = (name: string) => Math.max(1, results.systems.find((s) => s.name === name)?.max ?? 0);
  const chatMax = maxOf('chat-webhooks');
  if (chat && !args['systems-only']) {
    await runFanout(ctx, chat, results, chatMax);
    await runConditions(ctx, chat, results);
    await chat.stop();
    await runRetries(ctx, results, chatMax);
    await runFairness(ctx, results);
    await awaitOptimisationBuilds(ctx, results);
    await runWorkerStart(ctx, results);
    await runChatSettings(ctx, results, chatMax);
    await runSettingsLookup(ctx, results);
    await runSingleProcess(ctx, results, chatMax);
    await runPragmas(ctx, results, maxOf('bare-temporal'));
    await runProfile(ctx, results, chatMax);
  } else {
    await chat?.stop();
    results.notes.push(
      'Fan-out, conditions, optimisations and the profile were not run (--only without chat-webhooks, or --systems-only).',
    );
  }

  if (args.stack === 'production') await runOnProductionStack(ctx, results);

  const stats = await ctx.receiver.stats();
  results.receiver = stats;
  if (stats.invalid > 0) results.notes.push(`${stats.invalid} sampled deliveries had a signature that did not verify`);
  results.meta.durationS = elapsedS();
  results.meta.loadAverage.end = os.loadavg()[0]!;
  await report(results, outDir, `${date}-${sha}`, comparison);
}

/** --render: the report and chart again from a results JSON (after a change to the report), measuring nothing. */
async function render(file: string): Promise<void> {
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
  const comparison = args.compare ? loadComparison(args.compare, results.meta.sha) : undefined;
  await report(results, path.dirname(path.resolve(file)), path.basename(file, '.json'), comparison);
}

async function main(): Promise<void> {
  if (args.help) process.stdout.write(USAGE);
  else if (args.render) await render(args.render);
  else await measure();
}

process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

main()
  .then(cleanup)
  .then(
    () => process.exit(0),
    async (error: Error) => {
      process.stderr.write(`bench failed: ${error.stack ?? String(error)}\n`);
      await cleanup();
      process.exit(1);
    },
  );
