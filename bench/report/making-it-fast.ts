/**
 * "Making it fast": what each change that needs no product code does, measured in this run — the prebuilt bundle,
 * chat-webhooks' settings, eager start in one process, the dev server's SQLite pragmas, keep-alive, a settings cache.
 */
import { f, ms, rates, tuningLabel } from './cells';
import { eagerSection } from './eager-start';
import type { BenchResults } from './results';
import { settingsCacheSection } from './settings-cache';
import { keepAliveTable, toggleRows, workerStartTable } from './tables';

/** The zod note under the settings table: measured while zod is in the workflow bundle, otherwise why it was not run. */
function zodNote(r: BenchResults): string[] {
  const kb = r.meta.infra.bundleKb;
  const sizes = `${f(kb?.chatWebhooks, 0)} KB; ${f(kb?.chatWebhooksWithoutZod, 0)} KB with zod stubbed out; bare-temporal's is ${f(kb?.bareTemporal, 0)} KB`;
  if (r.optimisations.bundle.length) {
    return [
      '- **Workflow bundle without zod.** A module the workflows import builds zod schemas when it loads, so zod is in the workflow bundle ' +
        `(${sizes}). The SDK loads the bundle's modules afresh for every workflow (a module cache per workflow), so every workflow builds those schemas ` +
        'again. This row bundles the same workflows with zod replaced by a stub (bench/workflows/zod-stub.ts), which workflows never call: it measures ' +
        'what keeping zod out of the bundle would save, without changing the product.',
    ];
  }
  if (kb?.chatWebhooksWithoutZod === undefined) return [];
  return [
    `- **Workflow bundle without zod** was not run: zod is not in the workflow bundle (${sizes}). ` +
      'The bench still bundles the stubbed variant to notice if zod comes back.',
  ];
}

export function makingItFastSection(r: BenchResults): string[] {
  return [
    '## Making it fast: what was measured',
    '',
    '### Prebuilt workflow bundle',
    '',
    ...workerStartTable(r),
    '',
    `Bundling in the bench process took ${ms(r.meta.infra.bundleMs?.chatWebhooks)} ms for chat-webhooks' workflows. The prebuilt bundle only changes start-up; ` +
      'once running, the worker executes the same code. **Kept** (the Dockerfile already sets WORKFLOW_BUNDLE_PATH; every run here uses it).',
    '',
    `### chat-webhooks settings — each a short ramp at ${rates(r.optimisations.baseline)} events/s (multiples of the main run's maximum), back to back with a restarted baseline`,
    '',
    '| Variant | Highest rate that held | e2e p50 / p99 (ms) at the main max, or at the first rate if that failed | Ingest p99 (ms) | Errors | CPU ms per event (API / worker / Temporal + Postgres) |',
    '|---|---:|---|---:|---:|---|',
    ...(r.optimisations.baseline
      ? toggleRows([{ ...r.optimisations.baseline, value: r.optimisations.baseline.label }], (v) => `**${v}**`)
      : []),
    ...toggleRows(
      r.optimisations.runtime,
      () => 'compiled JavaScript (`tsc -p tsconfig.build.json`, as the Docker image runs) instead of tsx',
    ),
    ...toggleRows(r.optimisations.bundle, () => 'workflow bundle without zod (stubbed; see below)'),
    ...toggleRows(r.optimisations.poolSize, (v) => `PG_POOL_MAX=${v}`),
    ...toggleRows(r.optimisations.tuning, (v) => `worker sizing ${tuningLabel(v as Record<string, unknown>)}`),
    ...toggleRows(
      r.optimisations.idleTimeout ?? [],
      (v) => `CONVERSATION_IDLE_TIMEOUT=${v} (conversations not tracked)`,
    ),
    ...toggleRows(
      r.optimisations.encryption ?? [],
      () => 'TEMPORAL_PAYLOAD_ENCRYPTION=off (payloads in Temporal in the clear; the baseline encrypts them)',
    ),
    '',
    `- **Reading these rows.** Each variant is a fresh dev server and fresh processes, measured one after another, with ` +
      `${r.optimisations.baseline?.steps[0]?.durationS ?? '?'} s steps at ${rates(r.optimisations.baseline)} events/s. A difference of one step in "highest rate ` +
      'that held", with CPU per event within a few per cent, is run-to-run noise; CPU per event is the steadier figure.',
    '- **Runtime.** `node bin/chat-webhooks.js` in a checkout runs the TypeScript sources through tsx (with source-map support); ' +
      'the Docker image runs the compiled JavaScript. The main rows use bin/chat-webhooks.js, as a developer runs it.',
    ...zodNote(r),
    '- **PG_POOL_MAX** sets the pool of the API and of the worker (default 10).',
    '- **Worker sizing.** src/config.ts reads WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, WORKER_MAX_CONCURRENT_ACTIVITIES, ' +
      'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES and WORKER_MAX_CACHED_WORKFLOWS; these rows start the real worker (`bin/chat-webhooks.js worker`) with the ' +
      "variables shown set. Unset, as in the baseline, the SDK's defaults apply: 40 concurrent workflow tasks, 100 concurrent activities, 100 concurrent " +
      'local activities, cached workflows sized from memory.',
    ...((r.optimisations.idleTimeout ?? []).length
      ? [
          '- **CONVERSATION_IDLE_TIMEOUT=0** turns conversation tracking off: no conversation row per message and no idle-timer workflow per conversation ' +
            `(the load sends ${r.systems.find((x) => x.name === 'chat-webhooks')?.eventsPerConversation ?? 10} messages per conversation). Against the baseline, ` +
            'which runs the default (30m) as the main run does, it shows what the default costs.',
        ]
      : []),
    ...((r.optimisations.encryption ?? []).length
      ? [
          '- **TEMPORAL_PAYLOAD_ENCRYPTION=off** sends payloads to Temporal unencrypted. The baseline encrypts every payload (AES-256-GCM, ' +
            'src/temporal/codec.ts), as production does, so the CPU difference per event between the two rows is what the codec costs.',
        ]
      : []),
    '',
    '### API and worker in one process: eager workflow start',
    '',
    ...eagerSection(r),
    '',
    `### Dev server SQLite pragmas — bare-temporal, a short ramp at ${r.optimisations.pragmas.map((p) => rates(p)).sort((a, b) => b.length - a.length)[0] ?? '–'} events/s`,
    '',
    'The main runs use a dev server as `startDevServer` starts it without a file: in memory, where journal settings hardly ' +
      'matter. `npm start` gives it a SQLite file with WAL and synchronous=NORMAL. Each row is a fresh dev server.',
    '',
    "| Dev server | Highest rate that held | e2e p50 / p99 (ms) at bare-temporal's max, or at the first rate if that failed | Ingest p99 (ms) | Errors | CPU ms per event (API / worker / Temporal) |",
    '|---|---:|---|---:|---:|---|',
    ...r.optimisations.pragmas.map((t) => toggleRows([t], () => t.label)[0]!),
    '',
    '`startDevServer` already passes `journal_mode=WAL`, with `synchronous=OFF` in memory and `NORMAL` on a file (a process crash loses ' +
      "nothing with WAL; a power cut may lose the last transactions): kept. Compare the rows to see what WAL is worth against SQLite's defaults.",
    '',
    '### Keep-alive connection reuse',
    '',
    ...keepAliveTable(r),
    '',
    "The product's delivery agent (src/outbound/delivery-agent.ts) already keeps connections alive (undici Agent, 4 s keep-alive), " +
      'so deliveries to one endpoint reuse a handful of sockets.',
    '',
    ...settingsCacheSection(r),
  ];
}
