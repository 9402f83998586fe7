/**
 * Worker start-up with the prebuilt workflow bundle (WORKFLOW_BUNDLE_PATH, as the Docker image sets it) against
 * bundling at start: the time from spawn until the worker polls, and its memory.
 */
import { round } from '../lib/common';
import { chatBaseOn, type Ctx, withTemporal } from '../lib/context';
import { log } from '../lib/log';
import { readProc } from '../lib/procs';
import { startChat } from '../lib/systems';
import type { BenchResults } from '../report/results';

export async function runWorkerStart(ctx: Ctx, results: BenchResults): Promise<void> {
  log('worker start time: prebuilt bundle vs bundling at start');
  await withTemporal(ctx, async (server) => {
    for (let i = 0; i < ctx.sizes.startRepeats; i++) {
      for (const prebuilt of [true, false]) {
        const w = await startChat(chatBaseOn(ctx, server), { workerOnly: true, prebuilt });
        results.optimisations.workerStart.push({
          prebuilt,
          ms: w.workerStartMs!,
          peakRssMb: readProc(w.worker!.pid)?.peakRssMb ?? 0,
        });
        log(
          `  worker ${prebuilt ? 'prebuilt bundle' : 'bundling at start'}: polling after ${round(w.workerStartMs!, 0)} ms`,
        );
        await w.stop();
      }
    }
  });
}
