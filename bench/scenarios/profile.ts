/**
 * Where chat-webhooks' CPU goes: its API and worker under `node --cpu-prof` near the maximum, where what limits
 * throughput shows most, summarised by area and by function over the measured window only.
 */
import path from 'node:path';

import { nowMs } from '../lib/common';
import { chatBaseOn, chatTarget, type Ctx, mainApp, warmUp, withTemporal } from '../lib/context';
import { runStep } from '../lib/load';
import { log, logStep } from '../lib/log';
import { summariseProfiles } from '../lib/profile';
import { startChat } from '../lib/systems';
import type { BenchResults } from '../report/results';

export async function runProfile(ctx: Ctx, results: BenchResults, chatMax: number): Promise<void> {
  const dir = path.join(ctx.tmp, 'cpu-prof');
  const durationS = ctx.sizes.profileS;
  const rate = Math.max(1, Math.round(chatMax * (ctx.quick ? 0.5 : 0.8)));
  const app = mainApp(ctx);
  log(`profile: chat-webhooks api and worker under node --cpu-prof, ${durationS} s at ${rate}/s`);
  const { step, window } = await withTemporal(ctx, async (server) => {
    const chat = await startChat(chatBaseOn(ctx, server), { cpuProfDir: dir });
    try {
      await warmUp(ctx, chatTarget(chat, app));
      // The window leaves out start-up and warm-up.
      const fromMs = nowMs();
      const measured = await runStep(chatTarget(chat, app), ctx.tracker, { rate, durationS, drainS: 30 });
      logStep('profile')(measured);
      return { step: measured, window: { fromMs, toMs: nowMs() } };
    } finally {
      // SIGTERM: both processes exit through process.exit, which writes the profiles.
      await chat.stop();
    }
  });
  results.profile = {
    rate,
    durationS,
    events: step.accepted,
    api: summariseProfiles(path.join(dir, 'api'), window),
    worker: summariseProfiles(path.join(dir, 'worker'), window),
  };
}
