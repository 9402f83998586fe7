/**
 * chat-webhooks' API and worker in one process on the worker's NativeConnection
 * (bench/systems/chat-webhooks-single-process.ts), eager workflow start off and then on: the only layout in which
 * the TypeScript SDK starts workflows eagerly, measured against the separate processes of the baseline.
 */
import type { Ctx } from '../lib/context';
import { log } from '../lib/log';
import { measureChatVariant } from '../lib/variant';
import type { BenchResults } from '../report/results';

export async function runSingleProcess(ctx: Ctx, results: BenchResults, chatMax: number): Promise<void> {
  log("API and worker in one process on the worker's NativeConnection: eager workflow start off, then on");
  for (const eager of [false, true]) {
    const label = `one process, eager start ${eager ? 'on' : 'off'}`;
    (results.optimisations.singleProcess ??= []).push({
      ...(await measureChatVariant(ctx, label, { singleProcess: { eager } }, chatMax, { histories: true })),
      value: { eager },
    });
  }
}
