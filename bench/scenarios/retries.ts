/**
 * The slow path: the receiver refuses the first attempt of one message in ten (503), and the retry, after
 * RETRY_SCHEDULE's first delay (1 s here), succeeds. Those deliveries leave the fast path: a durable timer, then a
 * deliverWebhook activity. Measured at half and at all of the main run's maximum, on a fresh dev server, with CPU per
 * event and the histories of sampled events. No throughput search: the retried tenth arrive a second late by design,
 * so the 500 ms p99 rule would fail every rate.
 */
import { chatEventWorkflowId } from '../../src/temporal/contracts';
import { chatBaseOn, chatTarget, type Ctx, mainApp, warmUp, withTemporal } from '../lib/context';
import { historyBreakdown } from '../lib/history';
import { runStep } from '../lib/load';
import { log, logStep } from '../lib/log';
import { groupCpuDelta } from '../lib/procs';
import { systemCpu } from '../lib/system-cpu';
import { startChat } from '../lib/systems';
import type { BenchResults } from '../report/results';

const EVERY = 10;
const RETRY_SCHEDULE_S = 1;

export async function runRetries(ctx: Ctx, results: BenchResults, chatMax: number): Promise<void> {
  const app = mainApp(ctx);
  log(`retries: one first attempt in ${EVERY} refused, retried after ${RETRY_SCHEDULE_S} s`);
  const steps = await withTemporal(ctx, async (server) => {
    const chat = await startChat(chatBaseOn(ctx, server), {
      env: { RETRY_SCHEDULE: `${RETRY_SCHEDULE_S}s,5s,30s` },
    });
    const target = chatTarget(chat, app);
    const out: NonNullable<BenchResults['retries']>['steps'] = [];
    try {
      await warmUp(ctx, target);
      for (const share of [0.5, 1]) {
        const rate = Math.max(1, Math.round(chatMax * share));
        ctx.receiver.failFirstAttempts(EVERY);
        const refusedBefore = (await ctx.receiver.stats()).failedFirst ?? 0;
        const before = systemCpu(chat, ctx.receiver.pid);
        // At least twenty events, so that even a quick run refuses some first attempts.
        const durationS = Math.max(ctx.sizes.halfS, Math.ceil((2 * EVERY) / rate));
        const step = await runStep(target, ctx.tracker, { rate, durationS, drainS: 30 });
        const after = systemCpu(chat, ctx.receiver.pid);
        const refused = ((await ctx.receiver.stats()).failedFirst ?? 0) - refusedBefore;
        ctx.receiver.failFirstAttempts(0);
        logStep('retries')(step);
        const per = (seconds: number) => (seconds * 1000) / Math.max(1, step.accepted);
        const engines = Object.fromEntries(
          Object.keys(after.engines).map((n) => [n, per(groupCpuDelta(before.engines[n]!, after.engines[n]!))]),
        );
        const api = per(after.api - before.api);
        const worker = per(after.worker - before.worker);
        out.push({
          step,
          failedFirst: refused,
          cpuMsPerEvent: {
            api,
            worker,
            engines,
            total: api + worker + Object.values(engines).reduce((a, b) => a + b, 0),
          },
          breakdown: await historyBreakdown(
            server.address,
            step.sampleIds.map((id) => chatEventWorkflowId(app.id, id)),
          ),
        });
      }
    } finally {
      ctx.receiver.failFirstAttempts(0);
      await chat.stop();
    }
    return out;
  });
  results.retries = { every: EVERY, retryScheduleS: RETRY_SCHEDULE_S, steps };
}
