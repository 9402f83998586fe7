/**
 * One receiver per webhook, on the project's recording receiver. During the chaos phase each request is answered at
 * random; in the calm phase with 200. Every request, also one that broke off before its body ended, becomes a Receipt
 * that the checks compare with the delivery log.
 */
import type http from 'node:http';

import {
  type Answer,
  OK_ANSWER,
  type ReceivedRequest,
  type Receiver,
  startReceiver,
} from '../../src/receiver/recording-receiver';
import { sinceStart } from './common';

/** How long a hanging answer holds the connection if the worker does not give up first. */
const HANG_MS = 30_000;

export type ChaosAnswer = '200' | '500' | 'hang' | 'reset';

const ANSWERS: Record<ChaosAnswer, Answer> = {
  '200': OK_ANSWER,
  '500': { status: 500, body: 'chaos: server error', headers: { 'content-type': 'text/plain' } },
  hang: { hang: true, forMs: HANG_MS },
  reset: { reset: true },
};

export interface Receipt {
  /** Index of the receiver, which is also the index of the webhook it serves. */
  receiver: number;
  /** The webhook (our configuration) this receiver serves. */
  webhookId: string;
  /** The `webhook-id` header: a delivery id. */
  messageId: string | null;
  /** The `webhook-timestamp` header: the attempt's start, in Unix seconds. */
  timestamp: number | null;
  headers: http.IncomingHttpHeaders;
  body: string | null;
  eventId: string | null;
  /** What the receiver answered; `incomplete` when the request broke off before its body ended. */
  answer: ChaosAnswer | 'incomplete';
  signature: 'valid' | 'invalid' | 'unchecked';
  signatureError?: string;
  /** ms since the run started. */
  at: number;
  phase: 'chaos' | 'calm';
}

export interface ReceiverSet {
  urls: string[];
  receipts: Receipt[];
  mode: 'chaos' | 'calm';
  /** Ties receiver `index` to the webhook it serves and the secret its signatures are checked with. */
  bind(index: number, webhookId: string, secret: string): void;
  close(): Promise<void>;
}

function chaosAnswer(): ChaosAnswer {
  const r = Math.random();
  if (r < 0.3) return '500';
  if (r < 0.4) return 'hang';
  if (r < 0.45) return 'reset';
  return '200';
}

/** The name of an answer `decide` gave, read back from its shape. */
function answerName(answer: Answer): ChaosAnswer {
  if ('hang' in answer) return 'hang';
  if ('reset' in answer) return 'reset';
  return answer.status === 200 ? '200' : '500';
}

function parseEventId(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { event_id?: unknown };
    return typeof parsed.event_id === 'string' ? parsed.event_id : null;
  } catch {
    // Not JSON: the checks report the receipt as unknown.
    return null;
  }
}

export async function startReceivers(count: number): Promise<ReceiverSet> {
  const receipts: Receipt[] = [];
  const receivers: Receiver[] = [];
  const webhookIds: Array<string | undefined> = [];
  const set: ReceiverSet = {
    urls: [],
    receipts,
    mode: 'chaos',
    bind(index, webhookId, secret) {
      webhookIds[index] = webhookId;
      receivers[index]!.setSecrets([secret]);
    },
    async close() {
      await Promise.all(receivers.map((receiver) => receiver.close()));
    },
  };

  for (let index = 0; index < count; index++) {
    // Taken when the body ended (or the request broke off), as the checks' fault windows expect.
    const base = (headers: http.IncomingHttpHeaders) => {
      const header = (name: string) => {
        const value = headers[name];
        return typeof value === 'string' ? value : null;
      };
      const timestamp = Number(header('webhook-timestamp'));
      return {
        receiver: index,
        webhookId: webhookIds[index] ?? '(unbound)',
        messageId: header('webhook-id'),
        timestamp: Number.isInteger(timestamp) ? timestamp : null,
        headers,
        at: sinceStart(),
        phase: set.mode,
      };
    };
    const onRequest = (request: ReceivedRequest, answer: Answer) => {
      // No secret yet means no webhook bound yet: such a request cannot be one of ours, so it fails the check.
      const unbound = request.signature === 'unchecked';
      const signatureError = unbound ? 'no webhook bound to this receiver yet' : request.signatureError;
      receipts.push({
        ...base(request.headers),
        body: request.body,
        eventId: parseEventId(request.body),
        answer: answerName(answer),
        signature: unbound ? 'invalid' : request.signature,
        ...(signatureError ? { signatureError } : {}),
      });
    };
    const receiver = await startReceiver({
      path: `/hook/${index}`,
      // The receipts are the record; the receiver's own copy would double the memory of a long run.
      record: false,
      decide: () => ANSWERS[set.mode === 'calm' ? '200' : chaosAnswer()],
      onRequest,
      onIncomplete: (request) =>
        receipts.push({
          ...base(request.headers),
          body: null,
          eventId: null,
          answer: 'incomplete',
          signature: 'unchecked',
        }),
    });
    receivers.push(receiver);
    set.urls.push(receiver.url);
  }
  return set;
}
