/**
 * The one webhook receiver: a real HTTP server that records what it gets, checks signatures with the standardwebhooks
 * library (as a customer's receiver would) and answers what its user says. The `receiver` command prints through it;
 * the tests, the chaos run and the benchmark script its answers and read its records.
 *
 * Answers come, in order, from `decide` (per request), then the queue (`answer(...)`), then the default (200).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { Webhook } from 'standardwebhooks';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  receivedAt: Date;
  /** `unchecked` when the receiver has no secret, or this request was not among those sampled. */
  signature: 'valid' | 'invalid' | 'unchecked';
  signatureError?: string;
}

export type Answer =
  | { status: number; body?: string; headers?: Record<string, string>; delayMs?: number }
  /** Keeps the request open; `forMs` closes it after that long (default: until the receiver closes). */
  | { hang: true; forMs?: number }
  /** A TCP RST, not a clean close: what a crashing receiver or a middlebox does. */
  | { reset: true };

export interface ReceiverOptions {
  port?: number;
  host?: string;
  /** Path in `url`; the receiver answers on every path. Default `/hook`. */
  path?: string;
  /** Keep every request in `requests` (default true); a long load run turns it off and reads `onRequest`. */
  record?: boolean;
  /** Signing secrets to verify with; a request verifies when any one matches (a rotation's overlap). */
  secrets?: string[];
  /** Verify one request in this many (default 1: every one). */
  verifyEvery?: number;
  /** Chooses the answer for one request; undefined falls through to the queue. */
  decide?: (request: ReceivedRequest) => Answer | undefined;
  /** Called for each request whose body arrived, with the answer it gets. */
  onRequest?: (request: ReceivedRequest, answer: Answer) => void;
  /** Called for a request that broke off before its body ended. */
  onIncomplete?: (request: Omit<ReceivedRequest, 'body' | 'signature'>) => void;
}

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** The most requests this receiver ever had open at once (a hanging answer stays open). */
  maxOpen(): number;
  /** Queues answers for the next requests, in order. */
  answer(...answers: Answer[]): void;
  /** The answer once the queue is empty (200 unless changed). */
  setDefault(answer: Answer): void;
  /** Replaces the secrets signatures are checked with. */
  setSecrets(secrets: string[]): void;
  /** Resolves when `count` requests have arrived; rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export const OK_ANSWER: Answer = { status: 200, body: '{"ok":true}' };

export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  const record = opts.record ?? true;
  const verifyEvery = Math.max(1, opts.verifyEvery ?? 1);
  const requests: ReceivedRequest[] = [];
  const queue: Answer[] = [];
  let fallback: Answer = OK_ANSWER;
  let verifiers = (opts.secrets ?? []).map((s) => new Webhook(s));
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const hanging = new Set<http.ServerResponse>();
  let open = 0;
  let maxOpen = 0;
  let seen = 0;

  function verify(
    body: string,
    headers: http.IncomingHttpHeaders,
  ): Pick<ReceivedRequest, 'signature' | 'signatureError'> {
    if (verifiers.length === 0 || seen % verifyEvery !== 0) return { signature: 'unchecked' };
    let lastError = '';
    for (const verifier of verifiers) {
      try {
        verifier.verify(body, headers as Record<string, string>);
        return { signature: 'valid' };
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    return { signature: 'invalid', signatureError: lastError };
  }

  function respond(req: http.IncomingMessage, res: http.ServerResponse, answer: Answer): void {
    if ('hang' in answer) {
      hanging.add(res);
      const timer = answer.forMs === undefined ? undefined : setTimeout(() => res.destroy(), answer.forMs);
      res.on('close', () => {
        clearTimeout(timer);
        hanging.delete(res);
      });
      return;
    }
    if ('reset' in answer) {
      req.socket.resetAndDestroy();
      return;
    }
    const send = () =>
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body ?? '');
    if (answer.delayMs) setTimeout(send, answer.delayMs);
    else send();
  }

  const server = http.createServer((req, res) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    res.on('close', () => {
      open--;
    });
    const chunks: Buffer[] = [];
    let complete = false;
    const receivedAt = new Date();
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('close', () => {
      if (!complete)
        opts.onIncomplete?.({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, receivedAt });
    });
    req.on('end', () => {
      complete = true;
      const body = Buffer.concat(chunks).toString('utf8');
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        receivedAt,
        ...verify(body, req.headers),
      };
      seen++;
      if (record) requests.push(request);
      for (const w of [...waiters]) {
        if (requests.length >= w.count) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      const answer = opts.decide?.(request) ?? queue.shift() ?? fallback;
      opts.onRequest?.(request, answer);
      respond(req, res, answer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}${opts.path ?? '/hook'}`,
    port,
    requests,
    maxOpen: () => maxOpen,
    answer: (...answers) => queue.push(...answers),
    setDefault: (answer) => {
      fallback = answer;
    },
    setSecrets: (secrets) => {
      verifiers = secrets.map((s) => new Webhook(s));
    },
    waitForRequests(count, timeoutMs = 20_000) {
      if (requests.length >= count) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${requests.length} of ${count} expected requests in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(requests.slice());
          },
        });
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
