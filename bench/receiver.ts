/**
 * The benchmark's recording receiver, in its own process so that its work does not count against any system.
 *
 * It answers every POST with 200 as soon as the body has arrived, and reports `[event_id, webhook-id, receipt time]`
 * to the parent over IPC in batches. Receipt times are CLOCK_MONOTONIC milliseconds (see nowMs), comparable with the
 * load generator's send times. It listens on BENCH_RECEIVER_PORTS ports: each port is a distinct endpoint (origin),
 * as distinct customers' receivers would be. One request in VERIFY_EVERY is checked with the standardwebhooks library
 * against the secrets the parent sent, so a wrong signature shows in the results.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { Webhook } from 'standardwebhooks';

import { nowMs } from './lib/common';

const VERIFY_EVERY = 25;
const FLUSH_MS = 20;

type Receipt = [eventId: string, webhookId: string, receivedAt: number];

let batch: Receipt[] = [];
let verifiers: Webhook[] = [];
let requests = 0;
let connections = 0;
let verified = 0;
let invalid = 0;
let unparsable = 0;

function verify(body: string, headers: http.IncomingHttpHeaders): void {
  if (verifiers.length === 0) return;
  for (const v of verifiers) {
    try {
      v.verify(body, headers as Record<string, string>);
      verified++;
      return;
    } catch {
      // try the next secret
    }
  }
  invalid++;
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const receivedAt = nowMs();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' }).end('{"ok":true}');
    requests++;
    const body = Buffer.concat(chunks).toString('utf8');
    let eventId: string | undefined;
    try {
      const parsed = JSON.parse(body) as { event_id?: string; condition_id?: string };
      eventId = parsed.condition_id ? `${parsed.event_id}#${parsed.condition_id}` : parsed.event_id;
    } catch {
      // counted below
    }
    if (!eventId) {
      unparsable++;
      return;
    }
    if (requests % VERIFY_EVERY === 1) verify(body, req.headers);
    batch.push([eventId, String(req.headers['webhook-id'] ?? ''), receivedAt]);
  });
}

async function main() {
  const count = Math.max(1, Number(process.env.BENCH_RECEIVER_PORTS ?? '1'));
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = http.createServer(handle);
    server.keepAliveTimeout = 5_000;
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ports.push((server.address() as AddressInfo).port);
  }
  setInterval(() => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    process.send!({ type: 'receipts', items });
  }, FLUSH_MS);
  process.on('message', (msg: { type: string; secrets?: string[] }) => {
    if (msg.type === 'secrets') verifiers = (msg.secrets ?? []).map((s) => new Webhook(s));
    if (msg.type === 'stats') process.send!({ type: 'stats', requests, connections, verified, invalid, unparsable });
  });
  process.on('disconnect', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ ready: true, ports })}\n`);
}

void main();
