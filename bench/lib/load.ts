/**
 * Open-loop load: events are sent at fixed intended times whatever the system answers (no coordinated omission), and
 * every latency counts from the intended send time. A step passes when its error rate and its p99 end-to-end latency
 * stay within the limits below; the throughput search raises the rate until a step fails.
 */
import { Pool } from 'undici';

import { chatEventBody, nowMs, round, sleep, summarise } from './common';

/** The limits a rate must keep to count as sustained. */
export const LIMITS = {
  /** p99 from the ingest call's intended start to the receiver's receipt, over every delivery of the step. */
  e2eP99Ms: 500,
  /** (ingest errors + events not fully delivered by the end of the drain) / events scheduled. */
  errorRate: 0.01,
  /** Requests in flight at once; past this an event is dropped (an error) rather than queued in the generator. */
  maxOutstanding: 2_000,
};

export interface Target {
  name: string;
  /** Full ingest URL. */
  url: string;
  headers: Record<string, string>;
  /** Deliveries the receiver gets per event (fan-out). */
  deliveriesPerEvent: number;
}

interface EventRecord {
  intended: number;
  /** HTTP status; 0 network error or timeout; -1 dropped by the generator. */
  status: number;
  ingestMs: number;
  receipts: number[];
  conditionReceipts: number[];
}

/** Correlates receiver receipts with the events sent. Condition deliveries arrive as `event_id#condition_id`. */
export class Tracker {
  private records = new Map<string, EventRecord>();
  lastReceiptAt = 0;

  receive(items: Array<[string, string, number]>): void {
    for (const [key, , t] of items) {
      const hash = key.indexOf('#');
      const record = this.records.get(hash < 0 ? key : key.slice(0, hash));
      if (!record) continue;
      (hash < 0 ? record.receipts : record.conditionReceipts).push(t);
      this.lastReceiptAt = nowMs();
    }
  }

  add(id: string, record: EventRecord): void {
    this.records.set(id, record);
  }

  forget(ids: string[]): void {
    for (const id of ids) this.records.delete(id);
  }
}

export interface StepResult {
  rate: number;
  durationS: number;
  events: number;
  accepted: number;
  ingestErrors: number;
  dropped: number;
  /** Accepted events with fewer deliveries than expected when the drain ended. */
  undelivered: number;
  deliveries: number;
  conditionDeliveries: number;
  errorRate: number;
  /** Deliveries received per second over the window from the first intended send to the last receipt. */
  deliveriesPerS: number;
  e2eMs: ReturnType<typeof summarise>;
  ingestMs: ReturnType<typeof summarise>;
  /** Intended sends the generator made late by more than 10 ms (machine too busy to keep the schedule). */
  lateSends: number;
  pass: boolean;
  reason: string;
  /** Up to 40 ids of accepted events, spread over the step (for reading workflow histories). */
  sampleIds: string[];
}

const pools = new Map<string, Pool>();
function poolFor(url: string): Pool {
  const origin = new URL(url).origin;
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, {
      connections: 256,
      pipelining: 1,
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
      keepAliveTimeout: 10_000,
    });
    pools.set(origin, pool);
  }
  return pool;
}

export async function closePools(): Promise<void> {
  await Promise.all([...pools.values()].map((p) => p.close()));
  pools.clear();
}

let sequence = 0;

/** Events per conversation id unless a step says otherwise: each conversation's first message starts its idle timer. */
export const EVENTS_PER_CONVERSATION = 10;

/** The conversation id runStep gives an event (ids are `<run>-<n>`; consecutive events share a conversation). */
export function conversationIdOf(eventId: string, perConversation = EVENTS_PER_CONVERSATION): string {
  const dash = eventId.lastIndexOf('-');
  return `conv_${eventId.slice(0, dash)}_${Math.floor(Number(eventId.slice(dash + 1)) / perConversation)}`;
}

export interface StepOptions {
  rate: number;
  durationS: number;
  /** Longest wait for deliveries after the last send. */
  drainS: number;
  /** Events per conversation id. */
  eventsPerConversation?: number;
  /** Extra wait after the drain, for deliveries that are not counted in `deliveriesPerEvent` (condition deliveries). */
  extraWaitMs?: number;
  /** The drain ends once the receiver has been quiet this long for this step's events; default 2 s. */
  quietMs?: number;
}

/** Sends `rate` events/s for `durationS` seconds to the target, then waits for their deliveries. */
export async function runStep(target: Target, tracker: Tracker, opts: StepOptions): Promise<StepResult> {
  const pool = poolFor(target.url);
  const path = new URL(target.url).pathname;
  const total = Math.max(1, Math.round(opts.rate * opts.durationS));
  const run = `${target.name.replace(/[^a-z0-9]/gi, '')}${(++sequence).toString(36)}${Date.now().toString(36).slice(-4)}`;
  const perConversation = opts.eventsPerConversation ?? EVENTS_PER_CONVERSATION;
  const ids: string[] = [];
  const records: EventRecord[] = [];
  let outstanding = 0;
  let lateSends = 0;
  const inflight: Array<Promise<void>> = [];

  const fire = (i: number, intended: number) => {
    const id = `${run}-${i}`;
    const record: EventRecord = { intended, status: -1, ingestMs: Number.NaN, receipts: [], conditionReceipts: [] };
    ids.push(id);
    records.push(record);
    tracker.add(id, record);
    if (outstanding >= LIMITS.maxOutstanding) return;
    outstanding++;
    const body = JSON.stringify(chatEventBody(id, conversationIdOf(id, perConversation)));
    inflight.push(
      pool
        .request({ path, method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body })
        .then(
          async (res) => {
            await res.body.dump();
            record.status = res.statusCode;
          },
          () => {
            record.status = 0;
          },
        )
        .finally(() => {
          record.ingestMs = nowMs() - intended;
          outstanding--;
        }),
    );
  };

  const start = nowMs() + 5;
  const interval = 1000 / opts.rate;
  let next = 0;
  while (next < total) {
    const now = nowMs();
    while (next < total && start + next * interval <= now) {
      const intended = start + next * interval;
      if (now - intended > 10) lateSends++;
      fire(next++, intended);
    }
    if (next < total) await sleep(Math.max(0, Math.min(5, start + next * interval - nowMs())));
  }
  const sendEnd = nowMs();
  await Promise.all(inflight);

  // Drain: until every accepted event has all its deliveries, the receiver has been quiet for 2 s, or drainS passed.
  const expected = target.deliveriesPerEvent;
  const complete = () => records.every((r) => r.status < 200 || r.status >= 300 || r.receipts.length >= expected);
  const drainUntil = nowMs() + opts.drainS * 1000;
  const quietMs = opts.quietMs ?? 2_000;
  while (!complete() && nowMs() < drainUntil && nowMs() - Math.max(tracker.lastReceiptAt, sendEnd) < quietMs)
    await sleep(25);
  if (opts.extraWaitMs) await sleep(opts.extraWaitMs);
  tracker.forget(ids);

  const acceptedIds = ids.filter((_, i) => records[i]!.status >= 200 && records[i]!.status < 300);
  const sampleIds = acceptedIds
    .filter((_, i) => i % Math.max(1, Math.floor(acceptedIds.length / 40)) === 0)
    .slice(0, 40);
  const accepted = records.filter((r) => r.status >= 200 && r.status < 300);
  const ingestErrors = records.filter(
    (r) => r.status === 0 || (r.status > 0 && (r.status < 200 || r.status >= 300)),
  ).length;
  const dropped = records.filter((r) => r.status === -1).length;
  const undelivered = accepted.filter((r) => r.receipts.length < expected).length;
  const e2e = accepted.flatMap((r) => r.receipts.map((t) => t - r.intended));
  const conditionDeliveries = accepted.reduce((n, r) => n + r.conditionReceipts.length, 0);
  const lastReceipt = e2e.length
    ? accepted.reduce((m, r) => r.receipts.reduce((a, t) => Math.max(a, t), m), start)
    : start;
  const errorRate = (ingestErrors + dropped + undelivered) / total;
  const e2eMs = summarise(e2e);
  const problems: string[] = [];
  if (errorRate > LIMITS.errorRate) problems.push(`error rate ${round(errorRate * 100)}% > ${LIMITS.errorRate * 100}%`);
  if (!(e2eMs.p99 <= LIMITS.e2eP99Ms)) problems.push(`e2e p99 ${round(e2eMs.p99, 0)} ms > ${LIMITS.e2eP99Ms} ms`);
  return {
    rate: opts.rate,
    durationS: opts.durationS,
    events: total,
    accepted: accepted.length,
    ingestErrors,
    dropped,
    undelivered,
    deliveries: e2e.length,
    conditionDeliveries,
    errorRate,
    deliveriesPerS: e2e.length / Math.max(0.001, (lastReceipt - start) / 1000),
    e2eMs,
    ingestMs: summarise(records.filter((r) => r.status !== -1).map((r) => r.ingestMs)),
    lateSends,
    pass: problems.length === 0,
    reason: problems.join('; ') || 'ok',
    sampleIds,
  };
}

/**
 * A burst: `count` events posted as fast as the API takes them (`concurrency` requests in flight, each sent when one
 * is answered), their deliveries not tracked. Resolves when every request was answered.
 */
export async function sendBurst(
  target: Target,
  count: number,
  concurrency: number,
): Promise<{ accepted: number; errors: number; seconds: number }> {
  const pool = poolFor(target.url);
  const path = new URL(target.url).pathname;
  const run = `burst${(++sequence).toString(36)}${Date.now().toString(36).slice(-4)}`;
  let next = 0;
  let accepted = 0;
  let errors = 0;
  const t0 = nowMs();
  const lane = async () => {
    while (next < count) {
      const id = `${run}-${next++}`;
      const body = JSON.stringify(chatEventBody(id, conversationIdOf(id)));
      try {
        const res = await pool.request({
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...target.headers },
          body,
        });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) accepted++;
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { accepted, errors, seconds: (nowMs() - t0) / 1000 };
}

export interface RampOptions {
  start: number;
  factor: number;
  /** Highest rate tried. */
  cap: number;
  /** Bisection steps between the last passing and the first failing rate. */
  refine: number;
  stepS: number;
  drainS: number;
  /** Explicit rates instead of the geometric search (quick mode). */
  rates?: number[];
}

export interface RampResult {
  steps: StepResult[];
  /** Highest passing rate; 0 when none passed. */
  max: number;
  /** True when the highest rate tried still passed: the system may do more. */
  capped: boolean;
}

/** Raises the rate geometrically until a step fails, then bisects between the last pass and the first failure. */
export async function findMax(
  run: (rate: number) => Promise<StepResult>,
  opts: RampOptions,
  log: (s: StepResult) => void,
): Promise<RampResult> {
  const steps: StepResult[] = [];
  const attempt = async (rate: number) => {
    const step = await run(rate);
    steps.push(step);
    log(step);
    await sleep(300);
    return step.pass;
  };
  if (opts.rates) {
    let max = 0;
    for (const rate of opts.rates) {
      if (!(await attempt(rate))) return { steps, max, capped: false };
      max = rate;
    }
    return { steps, max, capped: true };
  }
  let pass = 0;
  let fail = 0;
  let rate = opts.start;
  while (rate <= opts.cap) {
    if (await attempt(rate)) {
      pass = rate;
      rate = Math.round(rate * opts.factor);
    } else {
      fail = rate;
      break;
    }
  }
  if (!fail) return { steps, max: pass, capped: true };
  if (!pass) {
    // Even the first rate failed: go down until one passes.
    for (rate = Math.floor(fail / opts.factor); rate >= 1; rate = Math.floor(rate / opts.factor)) {
      if (await attempt(rate)) {
        pass = rate;
        break;
      }
      fail = rate;
    }
  }
  for (let i = 0; i < opts.refine && pass && fail / pass > 1.15; i++) {
    const mid = Math.round(Math.sqrt(pass * fail));
    if (await attempt(mid)) pass = mid;
    else fail = mid;
  }
  return { steps, max: pass, capped: false };
}
