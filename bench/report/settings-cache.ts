/**
 * The settings-cache section: the most a worker-side cache of app settings could save, against what an event costs.
 */
import { cpuTotal, f, ms } from './cells';
import type { BenchResults } from './results';

/** The settings cache: what it could save at most, against what an event costs, and the verdict that follows. */
export function settingsCacheSection(r: BenchResults): string[] {
  const lookup = r.optimisations.settingsLookup;
  if (!lookup) return [];
  const chat = r.systems.find((s) => s.name === 'chat-webhooks');
  const c = chat?.resources?.cpuMsPerEvent;
  const eventCpu = c ? cpuTotal(c) : undefined;
  const saved = lookup.cpuMsPerEvent.client + (lookup.cpuMsPerEvent.postgres ?? 0);
  const share = eventCpu ? saved / eventCpu : undefined;
  // Worth its invalidation machinery only if it could move throughput by more than the run-to-run noise.
  const worth = share !== undefined && share >= 0.03;
  return [
    '### Settings cache in the worker',
    '',
    `prepareEvent reads the app, its webhooks for the event's type and its active conditions on every event. A cache would turn these three reads ` +
      `into map lookups (the writes stay). Measured alone, as prepareEvent issues them, ${lookup.iterations} times on the bench database over one connection:`,
    '',
    "| Reads a cache would replace | p50 / p99 on the event's path (ms) | CPU ms per event: worker (pg driver) / Postgres | Share of a chat-webhooks event's CPU |",
    '|---|---|---|---:|',
    `| findApp, listWebhooksForEvent, listActiveConditions | ${ms(lookup.pathMs.p50)} / ${ms(lookup.pathMs.p99)} | ${f(lookup.cpuMsPerEvent.client, 2)} / ` +
      `${lookup.cpuMsPerEvent.postgres === null ? 'not readable (embedded PGlite)' : f(lookup.cpuMsPerEvent.postgres, 2)} | ` +
      `${share === undefined ? '–' : `${f(share * 100, 1)}% of ${f(eventCpu, 1)} ms`} |`,
    '',
    worth
      ? '**Worth building**: the reads are a large enough share of an event to matter. It needs invalidation across processes (Postgres LISTEN/NOTIFY ' +
        'from triggers on apps and webhooks) and a fallback to direct reads when the listener is down.'
      : '**Not built (rejected on these figures).** The most a cache could save is below the run-to-run noise of the throughput figures (3% of an ' +
        "event's CPU), while it would add real risk: every API and worker process would need invalidation (LISTEN/NOTIFY, which PgBouncer in " +
        'transaction mode and the embedded PGlite do not carry reliably), and a stale entry would send payloads under privacy settings or to ' +
        'webhooks the owner has just changed. The reads stay; they are primary-key and indexed lookups.',
    '',
  ];
}
