/**
 * Fan-out: one event to 1, 10 and 50 webhooks, each webhook on its own receiver port, through the throughput search.
 * What grows is deliveries per second, and what an event's latency becomes when it has many.
 */
import { chatTarget, type Ctx } from '../lib/context';
import { findMax, runStep } from '../lib/load';
import { log, logStep } from '../lib/log';
import type { RunningChat } from '../lib/systems';
import type { BenchResults } from '../report/results';

export async function runFanout(ctx: Ctx, chat: RunningChat, results: BenchResults, chatMax: number): Promise<void> {
  for (const n of [1, 10, 50]) {
    const app = ctx.apps.fanout.get(n)!;
    const opts = ctx.sizes.fanout(n, chatMax);
    log(`fan-out ${n}: throughput search from ${opts.start} events/s`);
    const target = chatTarget(chat, app);
    const ramp = await findMax(
      (rate) => runStep(target, ctx.tracker, { rate, durationS: opts.stepS, drainS: opts.drainS }),
      opts,
      logStep(`fan-out ${n}`),
    );
    const best = ramp.steps.filter((s) => s.pass).sort((a, b) => b.rate - a.rate)[0];
    results.fanout.push({
      webhooks: n,
      maxEventsPerS: ramp.max,
      capped: ramp.capped,
      deliveriesPerS: best ? best.deliveriesPerS : 0,
      atMax: best,
      steps: ramp.steps,
    });
  }
}
