/**
 * The checks that nothing was lost: the receivers' receipts against the delivery log, the API's answers and the
 * workflows' ends, plus the figures the report shows.
 */
import { seconds } from './common';
import type { Fault } from './faults';
import { eventId, type SendStats } from './load';
import { DELIVERY_TIMEOUT_MS } from './options';
import type { Receipt } from './receivers';

/**
 * A send whose outcome the delivery log does not hold (its activity execution was retried) must lie this close to a
 * fault. The send happens inside the execution that is lost, so before the fault ends: at most one execution's length
 * (the HTTP timeout plus its database work) before a SIGKILL, a Postgres restart or a Temporal stop, or during the
 * outage. The retried execution that follows is the one recorded.
 */
const FAULT_WINDOW_BEFORE_MS = DELIVERY_TIMEOUT_MS + 13_000;
const FAULT_WINDOW_AFTER_MS = 5_000;
export interface DeliveryRecord {
  id: string;
  webhook_id: string;
  event_id: string;
  status: string;
  attempt_count: number;
  is_test: boolean;
  condition_id: string;
}

export interface AttemptRecord {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  status_code: number | null;
  error_class: string | null;
}

export interface Check {
  id: string;
  name: string;
  ok: boolean;
  detail: string;
}

function sample<T>(items: T[], n = 5): string {
  return (
    items
      .slice(0, n)
      .map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
      .join('; ') + (items.length > n ? `; … (${items.length} in all)` : '')
  );
}

export interface Analysis {
  checks: Check[];
  figures: {
    deliveries: number;
    attemptsRecorded: number;
    receipts: number;
    receiptsByAnswer: Record<string, number>;
    receiptsChaosPhase: number;
    receiptsCalmPhase: number;
    pairsReceivedMoreThanOnce: number;
    maxReceiptsForOnePair: number;
    pairsWith2xxMoreThanOnce: number;
    max2xxForOnePair: number;
    extraSends: number;
    extraSendsByFault: Record<string, number>;
    extraSendTimes: number[];
    lateAnswers: number;
    attemptsWithoutReceipt: number;
    deliveriesByStatus: Record<string, number>;
    maxAttemptsForOneDelivery: number;
    /** Deliveries with at least one request answered by the chaos-phase receivers. */
    deliveriesAttemptedDuringChaos: number;
  };
}

export function analyse(input: {
  events: number;
  webhookIds: string[];
  appId: string;
  receipts: Receipt[];
  deliveries: DeliveryRecord[];
  attempts: AttemptRecord[];
  eventRows: number;
  sendStats: SendStats;
  faults: Fault[];
  workflows: { completed: number; running: number; other: number };
}): Analysis {
  const { receipts, deliveries, attempts, webhookIds } = input;
  const checks: Check[] = [];
  const add = (id: string, name: string, problems: unknown[], okDetail: string) =>
    checks.push({ id, name, ok: problems.length === 0, detail: problems.length === 0 ? okDetail : sample(problems) });

  const pairKey = (event: string, webhook: string) => `${event}|${webhook}`;
  const deliveryById = new Map(deliveries.map((d) => [d.id, d]));
  const deliveriesByPair = new Map<string, DeliveryRecord[]>();
  for (const d of deliveries) {
    const key = pairKey(d.event_id, d.webhook_id);
    deliveriesByPair.set(key, [...(deliveriesByPair.get(key) ?? []), d]);
  }
  const receiptsById = new Map<string, Receipt[]>();
  const receiptsByPair = new Map<string, Receipt[]>();
  for (const r of receipts) {
    if (r.messageId) receiptsById.set(r.messageId, [...(receiptsById.get(r.messageId) ?? []), r]);
    // An incomplete request has no body: its pair is its delivery's.
    const eventOf = r.eventId ?? (r.messageId ? deliveryById.get(r.messageId)?.event_id : undefined);
    if (eventOf) {
      const key = pairKey(eventOf, r.webhookId);
      receiptsByPair.set(key, [...(receiptsByPair.get(key) ?? []), r]);
    }
  }
  const expectedPairs: string[] = [];
  for (let i = 0; i < input.events; i++) for (const w of webhookIds) expectedPairs.push(pairKey(eventId(i), w));

  // (a) Every (event, webhook) pair reached its receiver with a 2xx answer at least once.
  add(
    'a',
    'every (event, webhook) pair got a 2xx-answered receipt',
    expectedPairs.filter((p) => !(receiptsByPair.get(p) ?? []).some((r) => r.answer === '200')),
    `${expectedPairs.length} pairs`,
  );

  // (b) No webhook-id the delivery log does not know, and each matches its receiver's webhook and its body's event.
  const bProblems: string[] = [];
  for (const r of receipts) {
    const d = r.messageId ? deliveryById.get(r.messageId) : undefined;
    if (!d) bProblems.push(`receiver ${r.receiver} got unknown webhook-id ${r.messageId}`);
    else if (d.webhook_id !== r.webhookId)
      bProblems.push(`${r.messageId} is a delivery to ${d.webhook_id} but reached ${r.webhookId}`);
    else if (r.eventId !== null && d.event_id !== r.eventId)
      bProblems.push(`${r.messageId} is for ${d.event_id} but carried ${r.eventId}`);
  }
  add(
    'b',
    'receivers saw only webhook-ids of the delivery log, each at its own webhook with its own event',
    bProblems,
    `${receipts.length} receipts`,
  );

  // (b2) Idempotency end to end: one delivery (one webhook-id) per pair, in the log and at the receivers.
  const b2Problems: string[] = [];
  for (const p of expectedPairs) {
    const n = deliveriesByPair.get(p)?.length ?? 0;
    if (n !== 1) b2Problems.push(`${p}: ${n} deliveries`);
    const ids = new Set((receiptsByPair.get(p) ?? []).map((r) => r.messageId));
    if (ids.size > 1) b2Problems.push(`${p}: ${ids.size} different webhook-ids received`);
  }
  if (deliveries.length !== expectedPairs.length)
    b2Problems.push(`${deliveries.length} deliveries in the log for ${expectedPairs.length} pairs`);
  add('b2', 'exactly one delivery (one webhook-id) per pair', b2Problems, `${deliveries.length} deliveries`);

  // (c) Signatures.
  const complete = receipts.filter((r) => r.answer !== 'incomplete');
  const incomplete = receipts.length - complete.length;
  add(
    'c',
    'every signature verified (standardwebhooks)',
    complete.filter((r) => r.signature !== 'valid').map((r) => `${r.messageId}: ${r.signatureError}`),
    `${complete.length} verified; ${incomplete} requests broke off before their body ended (nothing to verify)`,
  );

  // (d) The delivery log agrees with the receivers.
  const notSucceeded = deliveries.filter((d) => d.status !== 'succeeded');
  add(
    'd1',
    'every delivery ended succeeded (none pending or failed)',
    notSucceeded.map((d) => `${d.id}: ${d.status} after ${d.attempt_count}`),
    `${deliveries.length} succeeded`,
  );

  add(
    'd2',
    'every succeeded delivery had a 2xx answer recorded by its receiver for its webhook-id',
    deliveries
      .filter((d) => d.status === 'succeeded' && !(receiptsById.get(d.id) ?? []).some((r) => r.answer === '200'))
      .map((d) => d.id),
    'all',
  );

  const attemptsByDelivery = new Map<string, AttemptRecord[]>();
  for (const a of attempts)
    attemptsByDelivery.set(a.delivery_id, [...(attemptsByDelivery.get(a.delivery_id) ?? []), a]);
  const d3Problems: string[] = [];
  for (const d of deliveries) {
    const numbers = (attemptsByDelivery.get(d.id) ?? []).map((a) => a.attempt).sort((x, y) => x - y);
    const contiguous = numbers.length === d.attempt_count && numbers.every((n, i) => n === i + 1);
    if (!contiguous) d3Problems.push(`${d.id}: attempt_count ${d.attempt_count}, attempt rows [${numbers.join(',')}]`);
  }
  add(
    'd3',
    'attempt rows of each delivery are numbered 1..attempt_count',
    d3Problems,
    `${attempts.length} attempt rows`,
  );

  // Match each recorded attempt to the request it made: same webhook-id, same webhook-timestamp second (the attempt's
  // started_at), and for an HTTP answer the same status. An attempt that ended in a network error may have answered
  // late at the receiver (a slow 200 recorded as a timeout) or, rarely, never reached it.
  const d4Problems: string[] = [];
  let lateAnswers = 0;
  let attemptsWithoutReceipt = 0;
  const extras: Receipt[] = [];
  for (const d of deliveries) {
    const pool = [...(receiptsById.get(d.id) ?? [])];
    const used = new Set<Receipt>();
    const rows = [...(attemptsByDelivery.get(d.id) ?? [])].sort(
      (x, y) => Number(y.status_code !== null) - Number(x.status_code !== null),
    );
    for (const row of rows) {
      const second = Math.floor(row.started_at.getTime() / 1000);
      const candidates = pool.filter((r) => !used.has(r) && r.timestamp === second);
      let match: Receipt | undefined;
      if (row.status_code !== null) {
        match = candidates.find((r) => r.answer === String(row.status_code));
        if (!match) {
          d4Problems.push(
            `${d.id} attempt ${row.attempt}: HTTP ${row.status_code} at ${second} in the log, no such answer at the receiver`,
          );
          continue;
        }
      } else {
        match =
          candidates.find((r) => r.answer === 'hang' || r.answer === 'reset' || r.answer === 'incomplete') ??
          candidates[0];
        if (!match) {
          attemptsWithoutReceipt++;
          continue;
        }
        if (match.answer === '200' || match.answer === '500') lateAnswers++;
      }
      used.add(match);
    }
    for (const r of pool) if (!used.has(r)) extras.push(r);
  }
  add(
    'd4',
    'every attempt with an HTTP status in the log matches a receipt with that webhook-id, timestamp and answer',
    d4Problems,
    `${attempts.length} attempts matched distinct receipts, so receipts(id) >= attempt_count - ${attemptsWithoutReceipt} (network errors with no receipt)`,
  );

  // Receipts no attempt row accounts for: sends whose activity execution was retried (worker killed, database or
  // Temporal unreachable before the outcome was recorded and reported). At-least-once allows them, but only near a fault.
  const extraSendsByFault: Record<string, number> = {};
  const unexplained: string[] = [];
  for (const r of extras) {
    // The nearest fault whose window holds the send; a send before a fault is likelier its victim than one after.
    const distance = (f: Fault) => (r.at < f.start ? f.start - r.at : r.at > f.end ? 3 * (r.at - f.end) : 0);
    const fault = input.faults
      .filter((f) => r.at >= f.start - FAULT_WINDOW_BEFORE_MS && r.at <= f.end + FAULT_WINDOW_AFTER_MS)
      .sort((x, y) => distance(x) - distance(y))[0];
    if (fault) {
      const key = `${fault.kind}@${seconds(fault.start)}s`;
      extraSendsByFault[key] = (extraSendsByFault[key] ?? 0) + 1;
    } else {
      unexplained.push(`${r.messageId} at ${seconds(r.at)}s answered ${r.answer}`);
    }
  }
  add(
    'd5',
    'receipts beyond the recorded attempts (activity retries) all fall near a fault',
    unexplained,
    `${extras.length} extra sends, all within ${FAULT_WINDOW_BEFORE_MS / 1000}s before to ${FAULT_WINDOW_AFTER_MS / 1000}s after a fault`,
  );

  // (e) The API accepted every event, after retries.
  const eProblems: string[] = [];
  for (let i = 0; i < input.events; i++) {
    const outcome = input.sendStats.outcomes.get(eventId(i));
    if (outcome !== 'accepted' && outcome !== 'duplicate') eProblems.push(`${eventId(i)}: ${outcome ?? 'never sent'}`);
  }
  for (const r of input.sendStats.rejected)
    eProblems.push(`${r.eventId}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  if (input.eventRows !== input.events)
    eProblems.push(`the events table holds ${input.eventRows} of ${input.events} events`);
  add(
    'e',
    'the API accepted every event (202, or 200 duplicate after a retry) and recorded it',
    eProblems,
    `${input.events} events`,
  );

  // (f) Workflows.
  const w = input.workflows;
  const fProblems =
    w.completed === input.events && w.running === 0 && w.other === 0
      ? []
      : [
          `completed ${w.completed}, running ${w.running}, failed/terminated/timed out ${w.other}, expected ${input.events} completed`,
        ];
  add('f', 'every chat-event workflow completed', fProblems, `${w.completed} completed`);

  // Figures.
  const receiptsByAnswer: Record<string, number> = {};
  for (const r of receipts) receiptsByAnswer[r.answer] = (receiptsByAnswer[r.answer] ?? 0) + 1;
  let pairsReceivedMoreThanOnce = 0;
  let maxReceiptsForOnePair = 0;
  let pairsWith2xxMoreThanOnce = 0;
  let max2xxForOnePair = 0;
  for (const p of expectedPairs) {
    const got = receiptsByPair.get(p) ?? [];
    const ok = got.filter((r) => r.answer === '200').length;
    if (got.length > 1) pairsReceivedMoreThanOnce++;
    if (ok > 1) pairsWith2xxMoreThanOnce++;
    maxReceiptsForOnePair = Math.max(maxReceiptsForOnePair, got.length);
    max2xxForOnePair = Math.max(max2xxForOnePair, ok);
  }
  const deliveriesByStatus: Record<string, number> = {};
  for (const d of deliveries) deliveriesByStatus[d.status] = (deliveriesByStatus[d.status] ?? 0) + 1;
  return {
    checks,
    figures: {
      deliveries: deliveries.length,
      attemptsRecorded: attempts.length,
      receipts: receipts.length,
      receiptsByAnswer,
      receiptsChaosPhase: receipts.filter((r) => r.phase === 'chaos').length,
      receiptsCalmPhase: receipts.filter((r) => r.phase === 'calm').length,
      pairsReceivedMoreThanOnce,
      maxReceiptsForOnePair,
      pairsWith2xxMoreThanOnce,
      max2xxForOnePair,
      extraSends: extras.length,
      extraSendsByFault,
      extraSendTimes: extras.map((r) => seconds(r.at)).sort((x, y) => x - y),
      lateAnswers,
      attemptsWithoutReceipt,
      deliveriesByStatus,
      maxAttemptsForOneDelivery: deliveries.reduce((m, d) => Math.max(m, d.attempt_count), 0),
      deliveriesAttemptedDuringChaos: deliveries.filter((d) =>
        (receiptsById.get(d.id) ?? []).some((r) => r.phase === 'chaos'),
      ).length,
    },
  };
}
