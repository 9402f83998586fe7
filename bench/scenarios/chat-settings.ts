/**
 * What each setting an operator can change, without touching the product's code, does to chat-webhooks: the
 * runtime (compiled JavaScript or tsx), a workflow bundle without zod, the Postgres pool, worker sizing and the
 * conversation idle timer. Each variant is a short ramp at multiples of the main run's maximum, after a restarted
 * baseline measured the same way.
 */
import type { Ctx } from '../lib/context';
import { log } from '../lib/log';
import { measureChatVariant } from '../lib/variant';
import type { BenchResults } from '../report/results';

/** Worker sizing as an operator sets it: the variables src/config.ts reads (unset: the SDK's defaults). */
const TUNINGS: Record<'low' | 'high', Record<string, string>> = {
  low: { WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '10', WORKER_MAX_CONCURRENT_ACTIVITIES: '20' },
  high: {
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '200',
    WORKER_MAX_CONCURRENT_ACTIVITIES: '400',
    WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '400',
    WORKER_MAX_CACHED_WORKFLOWS: '5000',
  },
};

export async function runChatSettings(ctx: Ctx, results: BenchResults, chatMax: number): Promise<void> {
  const opt = results.optimisations;

  log('baseline for the comparisons below: the product as configured in the main run, restarted');
  opt.baseline = await measureChatVariant(
    ctx,
    'baseline (tsx, PG_POOL_MAX=10, WORKER_* unset, CONVERSATION_IDLE_TIMEOUT unset)',
    {},
    chatMax,
    { histories: true },
  );

  const compiledCli = ctx.compiledBuild.cli;
  if (compiledCli) {
    log('runtime: compiled JavaScript (as the Docker image runs) instead of tsx');
    opt.runtime.push({
      ...(await measureChatVariant(ctx, 'compiled build', { compiledCli }, chatMax)),
      value: 'compiled',
    });
  } else {
    results.notes.push(`The compiled-build comparison was skipped: ${ctx.compiledBuild.error}`);
  }

  // Only worth a run while zod is in the workflow bundle: otherwise the stubbed bundle is the same code.
  const bundleKb = results.meta.infra.bundleKb;
  if (
    ctx.zodFreeBundle &&
    bundleKb?.chatWebhooksWithoutZod !== undefined &&
    bundleKb.chatWebhooks - bundleKb.chatWebhooksWithoutZod > 1
  ) {
    log('workflow bundle without zod (stubbed): what workflows pay for zod in the bundle');
    opt.bundle.push({
      ...(await measureChatVariant(ctx, 'bundle without zod', { bundlePath: ctx.zodFreeBundle }, chatMax)),
      value: 'without zod',
    });
  } else if (ctx.zodFreeBundle) {
    log('workflow bundle without zod: not run, zod is not in the workflow bundle');
  }

  log(`pg pool size (PG_POOL_MAX, api and worker each), at ${ctx.sizes.toggleMultipliers.join('/')} × ${chatMax}/s`);
  for (const size of ctx.sizes.poolSizes) {
    opt.poolSize.push({
      ...(await measureChatVariant(ctx, `PG_POOL_MAX=${size}`, { poolMax: size }, chatMax)),
      value: size,
    });
  }

  log('worker sizing (WORKER_* variables of the real worker)');
  for (const name of ctx.sizes.tunings) {
    opt.tuning.push({
      ...(await measureChatVariant(ctx, `tuning ${name}`, { env: TUNINGS[name] }, chatMax)),
      value: TUNINGS[name],
    });
  }

  log('conversation idle timer off (CONVERSATION_IDLE_TIMEOUT=0): what tracking conversations costs at the default');
  (opt.idleTimeout ??= []).push({
    ...(await measureChatVariant(
      ctx,
      'CONVERSATION_IDLE_TIMEOUT=0',
      { env: { CONVERSATION_IDLE_TIMEOUT: '0' } },
      chatMax,
    )),
    value: '0',
  });

  log('payload encryption off (TEMPORAL_PAYLOAD_ENCRYPTION=off): what the AES-256-GCM codec costs per event');
  (opt.encryption ??= []).push({
    ...(await measureChatVariant(
      ctx,
      'TEMPORAL_PAYLOAD_ENCRYPTION=off',
      { env: { TEMPORAL_PAYLOAD_ENCRYPTION: 'off' } },
      chatMax,
    )),
    value: 'off',
  });
}
