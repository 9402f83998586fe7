/**
 * One signed POST to a receiver. Never follows redirects, never throws for an answer or a network failure: the
 * outcome is a value the delivery activity records.
 */
import { Webhook } from 'standardwebhooks';
import { type Dispatcher, request } from 'undici';

import { USER_AGENT } from '../version';

const BLOCKED_DESTINATION_CODE = 'ERR_BLOCKED_DESTINATION';

/** Headers worth keeping in the delivery log: enough to debug a receiver, never a cookie. */
const KEPT_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'retry-after',
  'location',
  'server',
  'date',
  'x-request-id',
];
export const BODY_READ_LIMIT = 64 * 1024;
export const BODY_EXCERPT_LIMIT = 4 * 1024;

export interface SendOutcome {
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  headers: Record<string, string> | null;
  excerpt: string | null;
  /**
   * Set when no HTTP answer arrived: timeout, connection_refused, connection_reset, dns, tls, network, or
   * blocked_destination (the host resolved to an address the destination policy refuses; nothing was sent).
   */
  errorClass: string | null;
  errorMessage: string | null;
}

export interface SignedRequest {
  url: string;
  /** The `webhook-id`: the delivery id, the same on every attempt and replay. */
  messageId: string;
  /** The exact bytes to sign and send. */
  body: string;
  /** Signing secrets: one, or two while a rotation's overlap lasts (new first). Each adds a signature. */
  secrets: string[];
  timeoutMs: number;
  dispatcher: Dispatcher;
}

export async function sendSignedRequest(req: SignedRequest): Promise<SendOutcome> {
  const startedAt = new Date();
  // Standard Webhooks allows several space-separated signatures; a receiver accepts the message if any one verifies.
  const signature = req.secrets.map((secret) => new Webhook(secret).sign(req.messageId, startedAt, req.body)).join(' ');
  const elapsed = () => Date.now() - startedAt.getTime();
  const signal = AbortSignal.timeout(req.timeoutMs);
  try {
    const res = await request(req.url, {
      method: 'POST',
      dispatcher: req.dispatcher,
      signal,
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': req.messageId,
        'webhook-timestamp': String(Math.floor(startedAt.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: req.body,
    });
    const excerpt = await readExcerpt(res.body);
    return {
      startedAt,
      durationMs: elapsed(),
      statusCode: res.statusCode,
      headers: keptHeaders(res.headers),
      excerpt,
      errorClass: null,
      errorMessage: null,
    };
  } catch (error) {
    const { errorClass, message } = classifyNetworkError(error, signal);
    return {
      startedAt,
      durationMs: elapsed(),
      statusCode: null,
      headers: null,
      excerpt: null,
      errorClass,
      errorMessage: message,
    };
  }
}

/** Reads at most BODY_READ_LIMIT bytes, keeps the first BODY_EXCERPT_LIMIT as text, and drops the rest unread. */
async function readExcerpt(body: Dispatcher.ResponseData['body']): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf);
    size += buf.length;
    if (size >= BODY_READ_LIMIT) {
      body.destroy();
      break;
    }
  }
  if (size === 0) return null;
  // Cutting bytes can split a UTF-8 character; the decoder turns the stray bytes into U+FFFD instead of failing.
  return Buffer.concat(chunks).subarray(0, BODY_EXCERPT_LIMIT).toString('utf8');
}

function keptHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

function classifyNetworkError(error: unknown, signal: AbortSignal): { errorClass: string; message: string } {
  if (signal.aborted) return { errorClass: 'timeout', message: 'no complete answer within the delivery timeout' };
  const err = error as {
    code?: string;
    message?: string;
    reason?: string;
    cause?: { code?: string; message?: string; reason?: string };
  };
  const code = err.code ?? err.cause?.code ?? '';
  const message = err.cause?.message ?? err.message ?? String(error);
  if (code === BLOCKED_DESTINATION_CODE || err.cause?.code === BLOCKED_DESTINATION_CODE) {
    return { errorClass: 'blocked_destination', message: err.reason ?? err.cause?.reason ?? message };
  }
  if (code === 'ECONNREFUSED') return { errorClass: 'connection_refused', message };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET')
    return { errorClass: 'connection_reset', message };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { errorClass: 'dns', message };
  if (code.includes('TIMEOUT')) return { errorClass: 'timeout', message };
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL'))
    return { errorClass: 'tls', message };
  return { errorClass: 'network', message: code ? `${code}: ${message}` : message };
}
