/**
 * `--stack production`: bare-temporal, temporal-floor and chat-webhooks again, on the production stack
 * (support/production-stack.ts): the Temporal server 1.32.2 built from its Go module, persisting to and listing from
 * its own PostgreSQL, which also holds chat-webhooks' data. chat-webhooks runs as one api and one worker from the
 * stack's compiled release, as the dev-server rows run one of each; the engine's CPU is the Temporal server's plus all
 * of the stack's Postgres processes (Temporal's persistence and visibility, and ours).
 */
import { createChatWebhooksClient, ok } from '../../src/client';
import { chatEventWorkflowId } from '../../src/temporal/contracts';
import { startProductionStack } from '../../support/production-stack';
import { nowMs } from '../lib/common';
import type { Ctx } from '../lib/context';
import { historyBreakdown } from '../lib/history';
import { log } from '../lib/log';
import { type Child, withChildren } from '../lib/procs';
import { type RunningSystem, startBareTemporal } from '../lib/systems';
import type { BenchResults, SystemResult } from '../report/results';
import { measureSystem } from './systems';

/** A stack process as the bench's CPU and memory readers see one: only its pid is read. */
function asChild(name: string, pid: number | undefined): Child {
  if (pid === undefined) throw new Error(`${name} has no process`);
  return { name, pid } as Child;
}

export async function runOnProductionStack(ctx: Ctx, results: BenchResults): Promise<void> {
  const t0 = nowMs();
  log('production stack: starting it (Temporal server on Postgres, 1 api, 1 worker, no UI)');
  let stack;
  try {
    stack = await startProductionStack({
      apis: 1,
      workers: 1,
      ui: false,
      // The bench's receiver listens on 127.0.0.1, as the dev-server rows allow it; the rest is the stack's production env.
      env: { ALLOW_HTTP_WEBHOOKS: 'true', DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' },
      log: (line) => log(`stack: ${line}`),
    });
  } catch (error) {
    // The dev-server figures are measured already: the report is written without this part, and says why.
    results.notes.push(`The production stack did not start: ${(error as Error).message.split('\n')[0]}`);
    return;
  }
  const systems: SystemResult[] = [];
  const note = (r: SystemResult, text: string) => {
    r.notes.push(text);
    systems.push(r);
  };
  try {
    const engines = {
      temporal: () => withChildren(stack.processes.temporal.pid),
      postgres: () => withChildren(stack.processes.postgres.pid),
    };
    const server = { address: stack.temporalAddress, pids: () => [...engines.temporal(), ...engines.postgres()] };
    for (const floor of [false, true]) {
      const system = await startBareTemporal(ctx.common, server, { bundlePath: ctx.bareBundle, floor });
      try {
        const r = await measureSystem(ctx, { ...system, engines }, system.target);
        const prefix = floor ? 'floor' : 'bare';
        r.breakdown = await historyBreakdown(
          stack.temporalAddress,
          r.half!.sampleIds.map((id) => `${prefix}:${id}`),
        );
        note(r, 'on the production stack; engine = Temporal server + its Postgres');
      } finally {
        await system.stop();
      }
    }

    const api = createChatWebhooksClient({ baseUrl: stack.apiUrls[0]!, apiKey: stack.adminApiKey });
    const app = ok(await api.POST('/v1/apps', { body: { name: 'Bench App (stack)' } }));
    const hook = ok(
      await api.POST('/v1/apps/{app_id}/webhooks', {
        params: { path: { app_id: app.id } },
        body: { url: ctx.receiver.urls[0]!, events: ['message_sent'] },
      }),
    );
    ctx.receiverSecrets = [...(ctx.receiverSecrets ?? []), hook.secret];
    ctx.receiver.setSecrets(ctx.receiverSecrets);
    const chat: RunningSystem = {
      name: 'chat-webhooks',
      target: {
        name: 'chat-webhooks',
        url: `${stack.apiUrls[0]}/v1/apps/${app.id}/events`,
        headers: { authorization: `Bearer ${app.api_key}` },
        deliveriesPerEvent: 1,
      },
      api: asChild('api-1', stack.processes.apis[0]!.pid),
      worker: asChild('worker-1', stack.processes.workers[0]!.pid),
      engines,
      apiStartMs: 0,
      stop: async () => undefined,
    };
    const r = await measureSystem(ctx, chat, chat.target);
    // measureSystem reads the bench's own database for chat-webhooks; this one's is the stack's.
    delete r.dbPerEvent;
    r.breakdown = await historyBreakdown(
      stack.temporalAddress,
      r.half!.sampleIds.map((id) => chatEventWorkflowId(app.id, id)),
    );
    note(
      r,
      'on the production stack: 1 api and 1 worker from the compiled release, production env; engine = Temporal server + Postgres (both its data and ours)',
    );
  } catch (error) {
    results.notes.push(`The production-stack measurement stopped: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    await stack.stop();
  }
  results.productionStack = { systems, seconds: (nowMs() - t0) / 1000 };
}
