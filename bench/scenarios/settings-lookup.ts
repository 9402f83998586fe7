/**
 * What a worker-side cache of app settings could save at most. prepareEvent reads the app, its webhooks for the
 * event's type and its active conditions on every event; a cache would turn those three reads into map lookups and
 * leave the writes (deliveries, the conversation clock) as they are. This measures exactly those three reads, as
 * prepareEvent issues them, against the bench's own database: wall time on the event's path, and CPU in this process
 * (pg driver) and in the Postgres backend serving it.
 */
import pg from 'pg';

import { migrate } from '../../src/db/migrate';
import { findApp, insertApp } from '../../src/db/queries/apps';
import { listActiveConditions } from '../../src/db/queries/conditions';
import { insertWebhook, listWebhooksForEvent } from '../../src/db/queries/webhooks';
import { nowMs, summarise } from '../lib/common';
import type { Ctx } from '../lib/context';
import { log } from '../lib/log';
import { readProc } from '../lib/procs';
import type { BenchResults } from '../report/results';

export interface SettingsLookupResult {
  iterations: number;
  /** Wall time of the reads on prepareEvent's path (findApp, then the webhooks; the conditions beside them), ms. */
  pathMs: { p50: number; p99: number };
  /** CPU per event, ms: this process (pg driver, row parsing) and the Postgres backend. */
  cpuMsPerEvent: { client: number; postgres: number | null };
}

function cpuMs(pid: number): number {
  return (readProc(pid)?.cpuS ?? 0) * 1000;
}

/**
 * `serverPids` lists the Postgres server processes of the bench database; the backend's CPU is read only when its pid
 * is among them (embedded PGlite has no backend process of its own to read).
 */
async function measureSettingsLookups(
  databaseUrl: string,
  iterations: number,
  serverPids: () => number[],
): Promise<SettingsLookupResult> {
  await migrate(databaseUrl);
  // One connection, so one backend does all the work and its CPU can be read.
  const db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const reportedPid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const backendPid = serverPids().includes(reportedPid) ? reportedPid : undefined;
    const app = await insertApp(db, {
      name: 'Settings lookup',
      apiKeyHash: `bench-${Date.now()}`,
      apiKeyPrefix: 'cwk_bench',
    });
    await insertWebhook(db, {
      appId: app.id,
      url: 'https://receiver.example/hook',
      description: null,
      events: ['message_sent'],
      conditions: [],
      secretEncrypted: 'not-used',
      enabled: true,
      retryScheduleMs: null,
      timeoutMs: null,
    });
    const once = async () => {
      await Promise.all([
        findApp(db, app.id).then(() => listWebhooksForEvent(db, app.id, 'message_sent')),
        listActiveConditions(db, app.id),
      ]);
    };
    for (let i = 0; i < 200; i++) await once(); // warm-up: plans cached, JIT warm
    const durations: number[] = [];
    const clientBefore = process.cpuUsage();
    const backendBefore = backendPid === undefined ? 0 : cpuMs(backendPid);
    for (let i = 0; i < iterations; i++) {
      const started = nowMs();
      await once();
      durations.push(nowMs() - started);
    }
    const client = process.cpuUsage(clientBefore);
    const backend = backendPid === undefined ? null : cpuMs(backendPid) - backendBefore;
    const s = summarise(durations);
    return {
      iterations,
      pathMs: { p50: s.p50, p99: s.p99 },
      cpuMsPerEvent: {
        client: (client.user + client.system) / 1000 / iterations,
        postgres: backend === null ? null : backend / iterations,
      },
    };
  } finally {
    await db.end();
  }
}

export async function runSettingsLookup(ctx: Ctx, results: BenchResults): Promise<void> {
  log('settings reads per event that a worker-side settings cache would replace');
  results.optimisations.settingsLookup = await measureSettingsLookups(ctx.db.url, ctx.quick ? 300 : 3_000, () =>
    ctx.db.pids(),
  );
}
