/**
 * The result: a markdown table of figures and checks on stdout, the services' last output on stderr when something
 * failed, and with --json a machine-readable summary as the last line of stdout.
 */
import type { Analysis } from './analysis';
import { RUN_START, seconds } from './common';
import type { Drained } from './drain';
import type { Fault } from './faults';
import type { SendStats } from './load';
import { DELIVERY_TIMEOUT_MS, type Options } from './options';

export interface UnexpectedExit {
  process: string;
  /** ms since the run started. */
  at: number;
  code: number | null;
  signal: string | null;
  /** The process's last output before it died; empty when none was kept. */
  tail: string;
}

export interface RunRecord {
  opts: Options;
  /** What ran: the dev server and which database, or the production stack. */
  stack: { kind: 'dev' | 'production'; database: 'postgres' | 'pglite'; description: string };
  postgresRestart: string;
  analysis: Analysis;
  faults: Fault[];
  drain: Drained;
  stats: SendStats;
  unexpectedExits: UnexpectedExit[];
  setupMs: number;
  sendStart: number;
  /** When the sender finished; 0 if it never did. */
  sendEnd: number;
  /** The api and worker processes, whose last output goes to stderr when something failed. */
  services: Array<{ name: string; outputTail(): string }>;
}

/** Writes the report; returns whether every check passed. */
export function report(record: RunRecord): boolean {
  const { opts, analysis, faults, stats, unexpectedExits, setupMs, sendStart, sendEnd, postgresRestart } = record;
  const { calmStart, drainEnd, deliveredAt, stragglers } = record.drain;
  const ok = analysis.checks.every((c) => c.ok);
  const f = analysis.figures;
  const totalMs = Date.now() - RUN_START;
  const refusals = stats.refused503 + stats.refused5xx + stats.connectionErrors;
  const summary = {
    ok,
    events: opts.events,
    webhooks: opts.webhooks,
    stack: record.stack.kind,
    database: record.stack.database,
    postgres_restart: postgresRestart,
    checks: analysis.checks,
    faults: faults.map((x) => ({
      kind: x.kind,
      at_s: seconds(x.start),
      duration_s: seconds(x.end - x.start),
      detail: x.detail,
    })),
    all_delivered_before_workflows_closed_s: deliveredAt ? seconds(drainEnd - deliveredAt) : 0,
    stragglers,
    unexpected_exits: unexpectedExits.map((e) => ({
      process: e.process,
      at_s: seconds(e.at),
      code: e.code,
      signal: e.signal,
    })),
    api: {
      requests: stats.requests,
      accepted_202: stats.accepted,
      duplicate_200: stats.duplicates,
      refusals,
      refused_503: stats.refused503,
      refused_other_5xx: stats.refused5xx,
      connection_errors: stats.connectionErrors,
      max_tries_for_one_event: stats.maxTriesForOneEvent,
      accepted_by_api: Object.values(stats.acceptedBy),
    },
    figures: f,
    elapsed_s: {
      setup: seconds(setupMs),
      sending: seconds((sendEnd || drainEnd) - sendStart),
      chaos_phase: seconds(calmStart - sendStart),
      drain: seconds(drainEnd - calmStart),
      first_send_to_all_delivered: seconds(drainEnd - sendStart),
      total: seconds(totalMs),
    },
    events_per_s: Math.round((opts.events / ((drainEnd - sendStart) / 1000)) * 10) / 10,
    settings: {
      delivery_timeout_ms: DELIVERY_TIMEOUT_MS,
      retry_schedule: `40 x 1s (41 attempts)`,
      concurrency: opts.concurrency,
      send_seconds: opts.sendSeconds,
    },
  };

  // The report.
  const rows: Array<[string, string]> = [
    ['Stack', record.stack.description],
    ['Events sent / webhooks', `${opts.events} / ${opts.webhooks}`],
    ['Deliveries (log) / by status', `${f.deliveries} / ${JSON.stringify(f.deliveriesByStatus)}`],
    ['Faults', faults.map((x) => `${x.kind} @${seconds(x.start)}s (${seconds(x.end - x.start)}s)`).join(', ')],
    ['Postgres restart', postgresRestart],
    [
      'Unexpected process exits',
      unexpectedExits.length === 0
        ? 'none'
        : unexpectedExits.map((e) => `${e.process} @${seconds(e.at)}s code ${e.code} signal ${e.signal}`).join(', '),
    ],
    ['API requests / 202 / 200 duplicate', `${stats.requests} / ${stats.accepted} / ${stats.duplicates}`],
    [
      'API refusals (503 / other 5xx / connection)',
      `${refusals} (${stats.refused503} / ${stats.refused5xx} / ${stats.connectionErrors}); max tries for one event ${stats.maxTriesForOneEvent}`,
    ],
    ...(Object.keys(stats.acceptedBy).length > 1
      ? ([['Events accepted by each api', Object.values(stats.acceptedBy).join(' / ')]] as Array<[string, string]>)
      : []),
    ['Receipts at receivers (chaos / calm phase)', `${f.receipts} (${f.receiptsChaosPhase} / ${f.receiptsCalmPhase})`],
    ['Receipts by answer', JSON.stringify(f.receiptsByAnswer)],
    [
      'Deliveries attempted at least once during the chaos phase',
      `${f.deliveriesAttemptedDuringChaos} of ${f.deliveries}`,
    ],
    ['Attempts in the delivery log', `${f.attemptsRecorded}; max for one delivery ${f.maxAttemptsForOneDelivery}`],
    [
      'Pairs received more than once (any answer) / max receipts for one pair',
      `${f.pairsReceivedMoreThanOnce} / ${f.maxReceiptsForOnePair}`,
    ],
    [
      'Pairs answered 2xx more than once (duplicates) / max 2xx for one pair',
      `${f.pairsWith2xxMoreThanOnce} / ${f.max2xxForOnePair}`,
    ],
    [
      'Extra sends (activity retries, no attempt row) by fault',
      `${f.extraSends} ${JSON.stringify(f.extraSendsByFault)}`,
    ],
    [
      'Attempts logged as network errors whose answer came late / never arrived',
      `${f.lateAnswers} / ${f.attemptsWithoutReceipt}`,
    ],
    [
      'Workflows still running after every delivery finished',
      stragglers.length === 0
        ? 'none'
        : `${seconds(drainEnd - deliveredAt)}s until closed; ${stragglers.map((x) => `${x.workflowId.split(':').pop()} waited for ${x.waitingFor}`).join('; ')}`,
    ],
    [
      'Elapsed: setup / sending / chaos phase / drain / total',
      `${summary.elapsed_s.setup}s / ${summary.elapsed_s.sending}s / ${summary.elapsed_s.chaos_phase}s / ${summary.elapsed_s.drain}s / ${summary.elapsed_s.total}s`,
    ],
    ['Events/s (first send to all delivered)', String(summary.events_per_s)],
  ];
  const lines = [
    '',
    '## Chaos run',
    '',
    '| Metric | Value |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v.replaceAll('|', '\\|')} |`),
    '',
  ];
  lines.push('| Check | Result | Detail |', '|---|---|---|');
  for (const c of analysis.checks)
    lines.push(`| (${c.id}) ${c.name} | ${c.ok ? 'PASS' : '**FAIL**'} | ${c.detail.replaceAll('|', '\\|')} |`);
  lines.push('', ok ? 'All checks passed.' : 'SOME CHECKS FAILED.', '');
  process.stdout.write(lines.join('\n') + '\n');
  if (!ok || unexpectedExits.length > 0) {
    for (const service of record.services) {
      process.stderr.write(`--- last output of ${service.name} ---\n${service.outputTail()}\n`);
    }
    for (const e of unexpectedExits)
      if (e.tail) process.stderr.write(`--- ${e.process} before its unexpected exit ---\n${e.tail}\n`);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  return ok;
}
