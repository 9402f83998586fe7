/**
 * What the comparison systems (direct, bullmq, bare-temporal) share with each other and with chat-webhooks: the same
 * event body is validated with the product's zod schema, the same payload is built with the product's payload
 * builder, signed with the `standardwebhooks` library and POSTed with an undici keep-alive agent. Only the path from
 * ingest to delivery differs between systems.
 */
import http from 'node:http';

import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';

import { nextRetryDelay } from '../../src/domain/delivery';
import { parseRetrySchedule } from '../../src/domain/durations';
import { chatEventBodySchema, toChatEvent } from '../../src/domain/event-body';
import { buildPayload, DEFAULT_PRIVACY } from '../../src/domain/payload';

export const BENCH_APP_ID = 'app_bench';
const APP = { name: 'Bench App', privacy: DEFAULT_PRIVACY };

/** The product's default RETRY_SCHEDULE: 8 attempts over about 28 hours, each delay ±20%. */
export const RETRY_SCHEDULE_MS = (() => {
  const parsed = parseRetrySchedule('5s,5m,30m,2h,5h,10h,10h');
  if (!Array.isArray(parsed)) throw new Error(parsed.error);
  return parsed;
})();
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;

/** Delay before attempt `attemptsMade + 1`, with the product's jitter. */
export function retryDelayMs(attemptsMade: number): number {
  return nextRetryDelay(
    RETRY_SCHEDULE_MS[Math.min(attemptsMade, RETRY_SCHEDULE_MS.length) - 1]!,
    Math.random(),
    undefined,
  );
}

/** Validates an ingested event and builds the webhook body, exactly as chat-webhooks' API and workflow would. */
export function buildDelivery(
  body: unknown,
  receivedAt: Date,
): { eventId: string; messageId: string; payload: string } {
  const parsed = chatEventBodySchema.parse(body);
  const eventId = parsed.id!;
  const event = toChatEvent(BENCH_APP_ID, eventId, parsed, receivedAt);
  return { eventId, messageId: `msg_${eventId}`, payload: JSON.stringify(buildPayload(event, APP)) };
}

export function createSender(secret: string) {
  const signer = new Webhook(secret);
  // The same keep-alive settings as the product's delivery agent.
  const agent = new Agent({ keepAliveTimeout: 4_000, connect: { timeout: 10_000 } });
  return {
    /** One signed POST; resolves with the status code, throws on a network error. */
    async send(url: string, messageId: string, payload: string): Promise<number> {
      const now = new Date();
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        signal: AbortSignal.timeout(15_000),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'chat-webhooks-bench',
          'webhook-id': messageId,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signer.sign(messageId, now, payload),
        },
        body: payload,
      });
      await res.body.dump();
      return res.statusCode;
    },
    close: () => agent.close(),
  };
}

/** Reads a JSON request body (at most 256 KB, as the product's API allows). */
export function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 256 * 1024) reject(new Error('body too large'));
      chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });
}

export function answer(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** An ingest server on 127.0.0.1:PORT (0 = any) that prints `{"ready":true,"port":N}` once it listens. */
export async function serveIngest(
  handler: (body: unknown) => Promise<{ status: number; body: unknown }>,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/events') return answer(res, 404, { error: 'not found' });
    readJson(req)
      .then(handler)
      .then(
        (out) => answer(res, out.status, out.body),
        (error: Error) =>
          answer(res, error.name === 'ZodError' || error instanceof SyntaxError ? 400 : 503, { error: error.message }),
      );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ ready: true, port: (server.address() as { port: number }).port })}\n`);
  return server;
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** Exits cleanly on SIGTERM (so `--cpu-prof` profiles get written) after running `stop`. */
export function onSigterm(stop: () => Promise<void>): void {
  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  });
}
