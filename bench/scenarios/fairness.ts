/**
 * Tenants: app A posts a burst (3000 events, as fast as the API takes them) while app B posts 5 events/s. B's
 * end-to-end latency alone, then during A's burst on a dev server with task-queue fairness off, then with it on
 * (matching.enableFairness, as every dev server here starts). Every workflow carries its app as fairness key
 * (src/temporal/contracts.ts, appPriority), so with fairness on the server interleaves B's tasks with A's backlog
 * instead of queueing them behind it.
 */
import { chatBaseOn, chatTarget, type Ctx, mainApp, warmUp, withTemporal } from '../lib/context';
import { runStep, sendBurst } from '../lib/load';
import { log, logStep } from '../lib/log';
import { startChat } from '../lib/systems';
import type { BenchResults } from '../report/results';

const B_RATE = 5;

export async function runFairness(ctx: Ctx, results: BenchResults): Promise<void> {
  const b = mainApp(ctx);
  const a = ctx.apps.burst;
  if (!a) throw new Error('the burst app has not been set up');
  const burstEvents = ctx.quick ? 200 : 3000;
  const stepS = ctx.quick ? 4 : 30;
  const runs: NonNullable<BenchResults['fairness']>['runs'] = [];
  for (const variant of ['alone', 'fairness off', 'fairness on'] as const) {
    log(
      `fairness: app B at ${B_RATE}/s, ${variant === 'alone' ? 'alone' : `during app A's burst of ${burstEvents}, ${variant}`}`,
    );
    const run = await withTemporal(
      ctx,
      async (server) => {
        const chat = await startChat(chatBaseOn(ctx, server));
        try {
          const bTarget = chatTarget(chat, b);
          await warmUp(ctx, bTarget);
          const burst = variant === 'alone' ? undefined : sendBurst(chatTarget(chat, a), burstEvents, 32);
          // B waits for all of its deliveries, however long A's backlog holds them up.
          const step = await runStep(bTarget, ctx.tracker, {
            rate: B_RATE,
            durationS: stepS,
            drainS: 600,
            quietMs: 600_000,
          });
          logStep(`fairness ${variant}`)(step);
          const sent = await burst;
          return { variant, step, burst: sent };
        } finally {
          await chat.stop();
        }
      },
      { fairness: variant !== 'fairness off' },
    );
    runs.push(run);
  }
  results.fairness = { burstEvents, bRate: B_RATE, runs };
}
