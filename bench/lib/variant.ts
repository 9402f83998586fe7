/**
 * A variant (a setting, a runtime, a dev server) measured by a short ramp at fixed multiples of a maximum the main
 * run found: quicker than a full search, and comparable across variants measured one after another.
 */
import { chatEventWorkflowId } from '../../src/temporal/contracts';
import type { ToggleResult } from '../report/results';
import { sleep } from './common';
import { chatBaseOn, chatTarget, type Ctx, mainApp, warmUp, withTemporal } from './context';
import { historyBreakdown } from './history';
import { runStep, type StepResult, type Target } from './load';
import { logStep } from './log';
import { groupCpuDelta } from './procs';
import { systemCpu } from './system-cpu';
import { type ChatOptions, type RunningSystem, startChat } from './systems';

/** The highest multiple of `baseMax` that holds, CPU per event over the whole ramp, and the step at 1.0×. */
export async function miniRamp(
  ctx: Ctx,
  label: string,
  system: RunningSystem,
  target: Target,
  baseMax: number,
): Promise<ToggleResult> {
  const steps: StepResult[] = [];
  let max = 0;
  const before = systemCpu(system, ctx.receiver.pid);
  for (const m of ctx.sizes.toggleMultipliers) {
    const rate = Math.max(1, Math.round(baseMax * m));
    const step = await runStep(target, ctx.tracker, { rate, durationS: ctx.sizes.toggleStepS, drainS: 30 });
    logStep(label)(step);
    steps.push(step);
    if (!step.pass) break;
    max = rate;
    await sleep(300);
  }
  const after = systemCpu(system, ctx.receiver.pid);
  const accepted = steps.reduce((n, s) => n + s.accepted, 0);
  const per = (seconds: number) => (seconds * 1000) / Math.max(1, accepted);
  const engines = Object.keys(after.engines).reduce(
    (sum, n) => sum + groupCpuDelta(before.engines[n]!, after.engines[n]!),
    0,
  );
  const cpuMsPerEvent = {
    api: per(after.api - before.api),
    worker: per(after.worker - before.worker),
    engines: per(engines),
    total: per(after.api - before.api + after.worker - before.worker + engines),
  };
  const atBase = steps.find((s) => Math.abs(s.rate - Math.max(1, Math.round(baseMax))) < 0.5);
  return { label, maxEventsPerS: max, allPassed: steps.every((s) => s.pass), atBase, steps, cpuMsPerEvent };
}

/**
 * chat-webhooks started with `options` on a fresh dev server, warmed up, then a short ramp at multiples of `chatMax`.
 * `histories`: also read the workflow histories of the step at `chatMax` (where the first workflow task waits for a
 * worker, which eager start is meant to remove).
 */
export function measureChatVariant(
  ctx: Ctx,
  label: string,
  options: ChatOptions,
  chatMax: number,
  extra: { histories?: boolean } = {},
): Promise<ToggleResult> {
  const app = mainApp(ctx);
  return withTemporal(ctx, async (server) => {
    const chat = await startChat(chatBaseOn(ctx, server), options);
    try {
      await warmUp(ctx, chatTarget(chat, app));
      const startsBefore = await chat.startCounts?.();
      const result = await miniRamp(ctx, label, chat, chatTarget(chat, app), chatMax);
      const startsAfter = await chat.startCounts?.();
      if (startsBefore && startsAfter) {
        result.starts = {
          started: startsAfter.started - startsBefore.started,
          eagerlyStarted: startsAfter.eagerlyStarted - startsBefore.eagerlyStarted,
        };
      }
      const sampled = (result.atBase ?? result.steps[0])?.sampleIds;
      if (extra.histories && sampled?.length) {
        result.breakdown = await historyBreakdown(
          server.address,
          sampled.map((id) => chatEventWorkflowId(app.id, id)),
        );
      }
      return result;
    } finally {
      await chat.stop();
    }
  });
}
