/**
 * The comparison: direct delivery, BullMQ, bare Temporal, the Temporal floor and chat-webhooks, each through the same throughput search
 * and then a latency run at 50% of its maximum with CPU, memory and (for chat-webhooks) Postgres figures.
 * chat-webhooks stays up afterwards, on a dev server of its own, for the fan-out and conditions scenarios.
 */
import { type components, createChatWebhooksClient, ok } from '../../src/client';
import { chatEventWorkflowId, conversationWorkflowId } from '../../src/temporal/contracts';
import { nowMs, sleep } from '../lib/common';
import { type BenchApp, chatBaseOn, chatTarget, type Ctx, mainApp, warmUp } from '../lib/context';
import { historyBreakdown } from '../lib/history';
import { startMainTemporal } from '../lib/infra';
import { conversationIdOf, EVENTS_PER_CONVERSATION, findMax, runStep, type Target } from '../lib/load';
import { log, logStep } from '../lib/log';
import { groupCpuDelta, readProc } from '../lib/procs';
import { systemCpu } from '../lib/system-cpu';
import {
  type RunningChat,
  type RunningSystem,
  startBareTemporal,
  startBullmq,
  startChat,
  startDirect,
} from '../lib/systems';
import type { BenchResults, SystemResult } from '../report/results';

export const ALL_SYSTEMS = ['direct', 'bullmq', 'bare-temporal', 'temporal-floor', 'chat-webhooks'];

/** Where each system's throughput search starts: near its maximum, so the search takes few steps. */
const RAMP_START: Record<string, number> = {
  direct: 100,
  bullmq: 50,
  'bare-temporal': 25,
  'temporal-floor': 40,
  'chat-webhooks': 40,
};

/** The throughput search, then a run at 50% of the maximum with CPU figures. */
export async function measureSystem(ctx: Ctx, system: RunningSystem, target: Target): Promise<SystemResult> {
  const stepOf = (rate: number, durationS: number, drainS: number) =>
    runStep(target, ctx.tracker, { rate, durationS, drainS });
  const rampOpts = ctx.sizes.ramp(RAMP_START[system.name] ?? 25);
  const receiverAtStart = await ctx.receiver.stats();
  await warmUp(ctx, target);
  log(`${system.name}: throughput search`);
  const ramp = await findMax((rate) => stepOf(rate, rampOpts.stepS, rampOpts.drainS), rampOpts, logStep(system.name));
  const halfRate = Math.max(1, Math.round(ramp.max / 2));
  log(`${system.name}: max ${ramp.max}/s${ramp.capped ? ' (highest rate tried)' : ''}; latency run at ${halfRate}/s`);
  const dbBefore = system.name === 'chat-webhooks' ? await ctx.db.counters() : undefined;
  const before = systemCpu(system, ctx.receiver.pid);
  const t0 = nowMs();
  const half = await stepOf(halfRate, ctx.sizes.halfS, 30);
  const wallS = (nowMs() - t0) / 1000;
  const after = systemCpu(system, ctx.receiver.pid);
  // Postgres publishes a backend's counters within about a second of its last transaction.
  const dbAfter = dbBefore ? await sleep(1_500).then(() => ctx.db.counters()) : undefined;
  const receiverAfter = await ctx.receiver.stats();
  logStep(system.name)(half);
  const perEvent = (a: number, b: number) => ((b - a) * 1000) / Math.max(1, half.accepted);
  const engineCpu = (scale: (seconds: number) => number) =>
    Object.fromEntries(
      Object.keys(after.engines).map((n) => [n, scale(groupCpuDelta(before.engines[n]!, after.engines[n]!))]),
    );
  const perAccepted = (a: number, b: number) => (b - a) / Math.max(1, half.accepted);
  return {
    name: system.name,
    status: 'measured',
    ramp,
    max: ramp.max,
    capped: ramp.capped,
    half,
    resources: {
      windowS: wallS,
      cpuMsPerEvent: {
        api: perEvent(before.api, after.api),
        worker: system.worker ? perEvent(before.worker, after.worker) : undefined,
        engines: engineCpu((s) => (s * 1000) / Math.max(1, half.accepted)),
      },
      cpuPercent: {
        api: ((after.api - before.api) / wallS) * 100,
        worker: system.worker ? ((after.worker - before.worker) / wallS) * 100 : undefined,
        engines: engineCpu((s) => (s / wallS) * 100),
      },
      harnessCpuMsPerEvent: {
        generator: perEvent(before.generator, after.generator),
        receiver: perEvent(before.receiver, after.receiver),
      },
      peakRssMb: {
        api: readProc(system.api.pid)?.peakRssMb ?? 0,
        worker: system.worker ? readProc(system.worker.pid)?.peakRssMb : undefined,
      },
      totalCpuS: { api: after.api, worker: system.worker ? after.worker : undefined },
    },
    dbPerEvent:
      dbBefore && dbAfter
        ? {
            xacts: perAccepted(dbBefore.xacts, dbAfter.xacts),
            rowsFetched: perAccepted(dbBefore.rowsFetched, dbAfter.rowsFetched),
            rowsInserted: perAccepted(dbBefore.rowsInserted, dbAfter.rowsInserted),
            rowsUpdated: perAccepted(dbBefore.rowsUpdated, dbAfter.rowsUpdated),
          }
        : undefined,
    receiver: {
      connections: receiverAfter.connections - receiverAtStart.connections,
      requests: receiverAfter.requests - receiverAtStart.requests,
    },
    startMs: { api: system.apiStartMs, worker: system.workerStartMs },
    notes: [],
  };
}

/** Measures `system`, adds `note` (and whatever `after` finds) to its result, and stops it. */
async function measureAndStop(
  ctx: Ctx,
  results: BenchResults,
  system: RunningSystem,
  note: string,
  after?: (r: SystemResult) => Promise<void>,
): Promise<void> {
  try {
    const r = await measureSystem(ctx, system, system.target);
    await after?.(r);
    r.notes.push(note);
    results.systems.push(r);
  } finally {
    await system.stop();
  }
}

/** The apps chat-webhooks is measured with; every webhook secret goes to the receiver, which checks signatures. */
async function setUpChatApps(ctx: Ctx, chat: RunningChat, results: BenchResults): Promise<void> {
  const admin = ctx.chatBase.adminKey;
  const secrets: string[] = [ctx.common.secret];
  const makeApp = async (name: string, hooks: Array<components['schemas']['CreateWebhookBody']>): Promise<BenchApp> => {
    const api = createChatWebhooksClient({ baseUrl: chat.apiUrl, apiKey: admin });
    const app = ok(await api.POST('/v1/apps', { body: { name } }));
    for (const hook of hooks) {
      const created = ok(
        await api.POST('/v1/apps/{app_id}/webhooks', { params: { path: { app_id: app.id } }, body: hook }),
      );
      secrets.push(created.secret);
    }
    return { id: app.id, key: app.api_key, webhooks: hooks.length };
  };
  const urls = ctx.receiver.urls;
  const fanout = ctx.apps.fanout;
  ctx.apps.main = await makeApp('Bench App', [{ url: urls[0]!, events: ['message_sent'] }]);
  fanout.set(1, ctx.apps.main);
  for (const n of [10, 50]) {
    // One receiver port per webhook: distinct endpoints, as distinct customers' receivers are.
    const hooks = Array.from({ length: n }, (_, i) => ({
      url: urls[i % urls.length]!,
      events: ['message_sent' as const],
    }));
    fanout.set(n, await makeApp(`Fan-out ${n}`, hooks));
  }
  const conditions = (ids: string[]) =>
    ids.map((id) => ({ id, prompt: `When the user asks about ${id.replace('cond_', 'topic ')}` }));
  const events: Array<'message_sent' | 'custom_condition'> = ['message_sent', 'custom_condition'];
  ctx.apps.conditions = await makeApp('Conditions', [
    { url: urls[0]!, events, conditions: conditions(['cond_a1', 'cond_a2']) },
    { url: urls[1]!, events, conditions: conditions(['cond_b1', 'cond_b2']) },
    { url: urls[2]!, events, conditions: conditions(['cond_c1']) },
  ]);
  // The fairness scenario's flooding tenant: its own app, and its own endpoint, as another customer's would be.
  ctx.apps.burst = await makeApp('Burst', [{ url: urls[1]!, events: ['message_sent'] }]);
  ctx.receiver.setSecrets(secrets);
  ctx.receiverSecrets = secrets;
  results.meta.chatSetup = { apps: 3 + fanout.size, webhooks: secrets.length - 1 };
}

/**
 * Each Temporal system after the first gets a fresh dev server: the dev server keeps every history in memory, and the
 * next system must not pay for the last one's.
 */
async function freshTemporal(ctx: Ctx) {
  await ctx.temporal.stop();
  const temporal = await startMainTemporal();
  ctx.temporal = temporal;
  ctx.defer(() => temporal.stop());
  return temporal;
}

/** Measures chat-webhooks and leaves it running; `ctx.temporal` becomes its own fresh dev server. */
async function measureChat(ctx: Ctx, results: BenchResults): Promise<RunningChat> {
  const temporal = await freshTemporal(ctx);
  ctx.chatBase = chatBaseOn(ctx, temporal);
  ctx.quickServer = temporal;
  const chat = await startChat(ctx.chatBase);
  ctx.defer(() => chat.stop());
  await setUpChatApps(ctx, chat, results);
  const app = mainApp(ctx);
  const r = await measureSystem(ctx, chat, chatTarget(chat, app));
  r.breakdown = await historyBreakdown(
    temporal.address,
    r.half!.sampleIds.map((id) => chatEventWorkflowId(app.id, id)),
  );
  // The idle-timer workflows of the sampled events' conversations (one per EVENTS_PER_CONVERSATION events).
  const conversations = [...new Set(r.half!.sampleIds.map((id) => conversationIdOf(id)))];
  r.conversationBreakdown = await historyBreakdown(
    temporal.address,
    conversations.map((c) => conversationWorkflowId(app.id, c)),
  );
  r.eventsPerConversation = EVENTS_PER_CONVERSATION;
  r.notes.push(
    'separate api and worker processes (bin/chat-webhooks.js, production env); message_sent events, ' +
      `${EVENTS_PER_CONVERSATION} per conversation; CONVERSATION_IDLE_TIMEOUT unset (the default, 30m, as users run it): each conversation's first message ` +
      'starts its idle-timer workflow, later ones only move its clock in Postgres; prebuilt workflow bundle',
  );
  results.systems.push(r);
  return chat;
}

/** The systems in `selected`, in a fixed order; the others get a "not selected" row. */
export async function runSystems(
  ctx: Ctx,
  results: BenchResults,
  selected: Set<string>,
): Promise<RunningChat | undefined> {
  const notSelected = (name: string) =>
    results.systems.push({ name, status: 'skipped', skipReason: 'not selected (--only)', notes: [] });
  if (!selected.has('direct')) notSelected('direct');
  else
    await measureAndStop(
      ctx,
      results,
      await startDirect(ctx.common),
      'delivers inside the ingest call: e2e ≈ ingest; no durability, no retries',
    );
  if (!selected.has('bullmq')) notSelected('bullmq');
  else if (ctx.redis.available)
    await measureAndStop(
      ctx,
      results,
      await startBullmq(ctx.common, ctx.redis),
      `Redis ${ctx.redis.version}, no persistence (--save '' --appendonly no); worker concurrency 100`,
    );
  else {
    log(`bullmq: skipped: ${ctx.redis.reason}`);
    results.systems.push({ name: 'bullmq', status: 'skipped', skipReason: ctx.redis.reason, notes: [] });
  }
  if (!selected.has('bare-temporal')) notSelected('bare-temporal');
  else
    await measureAndStop(
      ctx,
      results,
      await startBareTemporal(ctx.common, ctx.temporal, { bundlePath: ctx.bareBundle }),
      'one workflow, one activity; no database; prebuilt workflow bundle',
      async (r) => {
        r.breakdown = await historyBreakdown(
          ctx.temporal.address,
          r.half!.sampleIds.map((id) => `bare:${id}`),
        );
      },
    );
  if (!selected.has('temporal-floor')) notSelected('temporal-floor');
  else {
    if (selected.has('bare-temporal')) await freshTemporal(ctx);
    await measureAndStop(
      ctx,
      results,
      await startBareTemporal(ctx.common, ctx.temporal, { bundlePath: ctx.bareBundle, floor: true }),
      'one workflow whose one local activity POSTs the payload in its first task; no database; prebuilt workflow bundle',
      async (r) => {
        r.breakdown = await historyBreakdown(
          ctx.temporal.address,
          r.half!.sampleIds.map((id) => `floor:${id}`),
        );
      },
    );
  }
  if (!selected.has('chat-webhooks')) {
    notSelected('chat-webhooks');
    return undefined;
  }
  return measureChat(ctx, results);
}
