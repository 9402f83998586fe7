/**
 * The benchmark's receiver, in its own process so that receiving costs no system under test any CPU.
 *
 * BENCH_RECEIVER_PORTS receivers (src/receiver/recording-receiver.ts), one port each: each port is a distinct
 * endpoint (origin), as distinct customers' receivers would be. They answer 200 and keep no requests; this process
 * reports `[event_id, webhook-id, receipt time]` to the parent over IPC in batches, so the parent is not woken per
 * delivery. Receipt times are CLOCK_MONOTONIC milliseconds (see nowMs), comparable with the load generator's send
 * times. One request in VERIFY_EVERY is checked against the secrets the parent sent, so a wrong signature shows.
 *
 * On the parent's `failFirst` message, the first attempt of one message in `every` gets a 503 (not reported as a
 * receipt) and its retry the usual 200: the retry scenario's slow path.
 */
import diagnosticsChannel from 'node:diagnostics_channel';

import { type Answer, type ReceivedRequest, type Receiver, startReceiver } from '../src/receiver/recording-receiver';
import { nowMs } from './lib/common';

const VERIFY_EVERY = 25;
const FLUSH_MS = 20;

type Receipt = [eventId: string, webhookId: string, receivedAt: number];

let batch: Receipt[] = [];
let requests = 0;
let connections = 0;
let verified = 0;
let invalid = 0;
let unparsable = 0;
let failEvery = 0;
let newMessages = 0;
let failedFirst = 0;
/** Messages whose first attempt was refused, by webhook-id; cleared when the mode changes. */
const refused = new Set<string>();

function decide(request: ReceivedRequest): Answer | undefined {
  if (failEvery === 0) return undefined;
  const id = String(request.headers['webhook-id'] ?? '');
  if (refused.has(id)) return undefined;
  if (++newMessages % failEvery !== 0) return undefined;
  refused.add(id);
  failedFirst++;
  return { status: 503, body: '{"error":"try again"}' };
}

// startReceiver keeps its server to itself; the keep-alive figures need the connections every receiver in this
// process accepted, which Node publishes here.
diagnosticsChannel.subscribe('net.server.socket', () => connections++);

/** The event a body is about; a condition delivery as `event_id#condition_id`, as the tracker correlates them. */
function eventKey(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { event_id?: string; condition_id?: string };
    return parsed.condition_id ? `${parsed.event_id}#${parsed.condition_id}` : parsed.event_id;
  } catch {
    return undefined;
  }
}

function onRequest(request: ReceivedRequest, answer: Answer): void {
  const receivedAt = nowMs();
  requests++;
  if ('status' in answer && answer.status >= 300) return;
  if (request.signature === 'valid') verified++;
  if (request.signature === 'invalid') invalid++;
  const key = eventKey(request.body);
  if (!key) {
    unparsable++;
    return;
  }
  batch.push([key, String(request.headers['webhook-id'] ?? ''), receivedAt]);
}

async function main(): Promise<void> {
  const count = Math.max(1, Number(process.env.BENCH_RECEIVER_PORTS ?? '1'));
  const receivers: Receiver[] = [];
  for (let i = 0; i < count; i++)
    receivers.push(await startReceiver({ record: false, verifyEvery: VERIFY_EVERY, onRequest, decide }));
  setInterval(() => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    process.send!({ type: 'receipts', items });
  }, FLUSH_MS);
  process.on('message', (msg: { type: string; secrets?: string[]; every?: number }) => {
    if (msg.type === 'secrets') for (const receiver of receivers) receiver.setSecrets(msg.secrets ?? []);
    if (msg.type === 'failFirst') {
      failEvery = msg.every ?? 0;
      newMessages = 0;
      refused.clear();
    }
    if (msg.type === 'stats')
      process.send!({ type: 'stats', requests, connections, verified, invalid, unparsable, failedFirst });
  });
  process.on('disconnect', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ ready: true, urls: receivers.map((r) => r.url) })}\n`);
}

void main();
