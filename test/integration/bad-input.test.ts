/**
 * A corpus of malformed requests against every write route. Each one must be refused with a 4xx whose body is
 * `{ error: { code, message } }` and whose message names the problem; the service must keep answering between them;
 * and nothing may be written: row counts of every table, and the fixture app and webhook rows, stay exactly the same.
 *
 * What each case really puts on the wire is spelled out in its name:
 *  - bodies are sent with `fetch` as the exact string or bytes given (no re-encoding by a helper);
 *  - `\u0000` / `\r\n` "escaped" means the JSON text holds the six-character escape, which JSON.parse turns into the
 *    control character; "raw byte" means the byte itself is in the body;
 *  - CR/LF inside a header value cannot go through fetch (it refuses), so those cases write raw HTTP/1.1 bytes to
 *    the API port over `node:net`;
 *  - ids in the path are percent-encoded (`%00`, `%0D%0A`) and reach the routes decoded.
 *
 * Cases with a `bug` note guard against product bugs this corpus found when it was written (all fixed since): the
 * note says what used to happen, and shows in the failure message should it happen again.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;
let appId: string;
let webhookId: string;

const TABLES = [
  'apps',
  'webhooks',
  'events',
  'deliveries',
  'delivery_attempts',
  'condition_evaluations',
  'conversation_turns',
  'condition_firings',
  'conversation_ends',
] as const;

interface Snapshot {
  counts: Record<string, number>;
  app: unknown;
  webhook: unknown;
}

/** Row counts of every table, plus the fixture rows in full (a rotation or a PATCH changes them without a new row). */
async function snapshot(): Promise<Snapshot> {
  const { rows } = await stack.db.pool.query<Record<string, number>>(
    `SELECT ${TABLES.map((t) => `(SELECT count(*)::int FROM ${t}) AS ${t}`).join(', ')}`,
  );
  const app = await stack.db.pool.query('SELECT to_jsonb(a) AS row FROM apps a WHERE id = $1', [appId]);
  const webhook = await stack.db.pool.query('SELECT to_jsonb(w) AS row FROM webhooks w WHERE id = $1', [webhookId]);
  return { counts: rows[0]!, app: app.rows[0]?.row ?? null, webhook: webhook.rows[0]?.row ?? null };
}

let baseline: Snapshot;

before(async () => {
  stack = await startStack();
  receiver = await startReceiver();
  ({ appId, webhookId } = await stack.createAppWithWebhook(receiver.url));
  // Taken after the fixtures exist: from here on, refused requests must leave everything as it is.
  baseline = await snapshot();
});
after(async () => {
  await receiver.close();
  await stack.close();
});

interface Reply {
  status: number;
  contentType: string;
  text: string;
}

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Sends exactly `body` (string or bytes) with the admin key. `contentType` defaults to application/json when there
 * is a body; `null` sends none (a Buffer body then goes out with no Content-Type at all).
 */
async function send(
  method: string,
  path: string,
  body?: string | Buffer,
  opts: { contentType?: string | null; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const contentType =
    opts.contentType === undefined ? (body === undefined ? null : 'application/json') : opts.contentType;
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.adminKey}`,
      ...(contentType !== null ? { 'content-type': contentType } : {}),
      ...opts.headers,
    },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

const json = (method: string, path: string, value: unknown, headers?: Record<string, string>) =>
  send(method, path, JSON.stringify(value), { headers });

/** Writes raw HTTP/1.1 bytes to the API port and reads the whole answer (the request asks the server to close). */
function rawHttp(request: Buffer | string): Promise<Reply> {
  const { port } = new URL(stack.apiUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no complete answer within ${REQUEST_TIMEOUT_MS} ms: ${Buffer.concat(chunks).toString('latin1')}`),
      );
    }, REQUEST_TIMEOUT_MS);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const answer = Buffer.concat(chunks).toString('utf8');
      const split = answer.indexOf('\r\n\r\n');
      const head = split < 0 ? answer : answer.slice(0, split);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!status) return reject(new Error(`not an HTTP answer: ${JSON.stringify(answer)}`));
      const contentType = /\r\ncontent-type:\s*([^\r\n]*)/i.exec(head)?.[1] ?? '';
      resolve({ status: Number(status[1]), contentType, text: split < 0 ? '' : answer.slice(split + 4) });
    });
  });
}

/** A POST to the events route with one raw header line, otherwise well formed: only that line is wrong. */
function rawEventWithHeader(headerLine: string): Promise<Reply> {
  const body = '{"type":"user_signup"}';
  return rawHttp(
    `POST /v1/apps/${appId}/events HTTP/1.1\r\n` +
      `Host: 127.0.0.1\r\n` +
      `Authorization: Bearer ${stack.adminKey}\r\n` +
      `Content-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n` +
      headerLine +
      `\r\n` +
      body,
  );
}

interface Case {
  route: string;
  name: string;
  send: () => Promise<Reply>;
  /** The exact status where it is determined; '4xx' where any client error is right. */
  status: number | '4xx';
  code?: string;
  /** A field that `error.details` must name (and the message must mention). */
  field?: string;
  /** What the message must say: each string is contained, each RegExp matches. */
  mentions?: Array<string | RegExp>;
  /** What this case once exposed (fixed): shown if it regresses. */
  bug?: string;
}

// Ids and paths (functions: the fixture ids exist only once `before` has run).
const A = () => `/v1/apps/${appId}`;
const W = () => `${A()}/webhooks/${webhookId}`;
const LONG_APP_ID = `app_${'x'.repeat(9_996)}`; // 10,000 characters
const LONG_WEBHOOK_ID = `wh_${'x'.repeat(9_997)}`; // 10,000 characters
const SQL_APP_ID = encodeURIComponent("app_x' OR '1'='1");
const SQL_WEBHOOK_ID = encodeURIComponent("wh_x'; DROP TABLE webhooks; --");
const DROP_APPS = "'; DROP TABLE apps; --";

// Bodies.
const OVER_LIMIT = 'x'.repeat(300 * 1024); // the limit is 256 KB
/** `depth` levels of nested arrays: `[[[...]]]`. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const invalidUtf8 = (before: string, after: string) =>
  Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from(after)]);
/** Bytes that claim gzip but are not. */
const NOT_GZIP = Buffer.from('{"name":"this is not gzip"}');

const validWebhook = () => ({ url: `${receiver.url}/bad-input`, events: ['message_sent'] });
const validTry = {
  prompt: 'When the user asks about pricing',
  transcript: [{ role: 'user', text: 'How much is it?' }],
};

const NOT_FOUND = 'not_found';

const cases: Case[] = [
  // ---------------------------------------------------------------- POST /v1/apps
  {
    route: 'POST /v1/apps',
    name: 'invalid JSON (truncated object)',
    send: () => send('POST', '/v1/apps', '{"name": "x",'),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'POST /v1/apps',
    name: 'a top-level JSON string, not an object',
    send: () => send('POST', '/v1/apps', '"My App"'),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'POST /v1/apps',
    name: 'name as a number',
    send: () => json('POST', '/v1/apps', { name: 42 }),
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    route: 'POST /v1/apps',
    name: 'name null',
    send: () => json('POST', '/v1/apps', { name: null }),
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    route: 'POST /v1/apps',
    name: 'name only whitespace',
    send: () => json('POST', '/v1/apps', { name: '   ' }),
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    route: 'POST /v1/apps',
    name: 'name of 10,000 characters',
    send: () => json('POST', '/v1/apps', { name: 'n'.repeat(10_000) }),
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    route: 'POST /v1/apps',
    name: 'privacy as a string',
    send: () => json('POST', '/v1/apps', { name: 'x', privacy: 'all' }),
    status: 400,
    code: 'validation_failed',
    field: 'privacy',
  },
  {
    route: 'POST /v1/apps',
    name: 'boolean sent as a string (privacy.share_messages: "false")',
    send: () => json('POST', '/v1/apps', { name: 'x', privacy: { share_messages: 'false' } }),
    status: 400,
    code: 'validation_failed',
    field: 'privacy.share_messages',
  },
  {
    route: 'POST /v1/apps',
    name: 'unknown field',
    send: () => json('POST', '/v1/apps', { name: 'x', colour: 'red' }),
    status: 400,
    code: 'validation_failed',
    field: 'colour',
  },
  {
    route: 'POST /v1/apps',
    name: 'unknown field __proto__',
    send: () => send('POST', '/v1/apps', '{"name":"x","__proto__":{"admin":true}}'),
    status: 400,
    code: 'validation_failed',
    field: '__proto__',
  },
  {
    route: 'POST /v1/apps',
    name: 'empty body with Content-Type: application/json',
    send: () => send('POST', '/v1/apps', ''),
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    route: 'POST /v1/apps',
    name: 'a body over 256 KB',
    send: () => json('POST', '/v1/apps', { name: OVER_LIMIT }),
    status: 413,
    code: 'body_too_large',
    mentions: [/256 KB/],
  },
  {
    route: 'POST /v1/apps',
    name: 'arrays nested 10,000 levels deep',
    send: () => send('POST', '/v1/apps', nested(10_000)),
    status: 400,
    code: 'validation_failed',
    field: '(body)',
  },
  {
    route: 'POST /v1/apps',
    name: 'name holding arrays nested 9,999 levels (10,000 in all)',
    send: () => send('POST', '/v1/apps', `{"name":${nested(9_999)}}`),
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    route: 'POST /v1/apps',
    name: 'Content-Type: text/plain',
    send: () => send('POST', '/v1/apps', '{"name":"x"}', { contentType: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
    mentions: [/Content-Type must be application\/json/, 'text/plain'],
  },
  {
    route: 'POST /v1/apps',
    name: 'no Content-Type at all (bytes body)',
    send: () => send('POST', '/v1/apps', Buffer.from('{"name":"x"}'), { contentType: null }),
    status: 415,
    code: 'unsupported_media_type',
    mentions: [/Content-Type must be application\/json/],
  },
  {
    route: 'POST /v1/apps',
    name: 'Content-Type: application/x-www-form-urlencoded',
    send: () => send('POST', '/v1/apps', 'name=x', { contentType: 'application/x-www-form-urlencoded' }),
    status: 415,
    code: 'unsupported_media_type',
    mentions: [/application\/x-www-form-urlencoded/],
  },
  {
    route: 'POST /v1/apps',
    name: 'application/json with charset=latin1',
    send: () => send('POST', '/v1/apps', '{"name":"x"}', { contentType: 'application/json; charset=latin1' }),
    status: 415,
    code: 'unsupported_encoding',
    mentions: [/LATIN1/i],
  },
  {
    route: 'POST /v1/apps',
    name: 'Content-Encoding the server does not know',
    send: () => send('POST', '/v1/apps', '{"name":"x"}', { headers: { 'content-encoding': 'x-unknown' } }),
    status: 415,
    code: 'unsupported_encoding',
    mentions: [/encoding/],
  },
  {
    route: 'POST /v1/apps',
    name: 'Content-Encoding: gzip over bytes that are not gzip',
    send: () => send('POST', '/v1/apps', NOT_GZIP, { headers: { 'content-encoding': 'gzip' } }),
    status: 400,
    mentions: [/gzip|compress|decod|encoding/i],
    bug: 'zlib error from body-parser has no `type`, so errorMiddleware answers 500 internal',
  },
  {
    route: 'POST /v1/apps',
    name: 'NUL escaped in name ("a\\u0000b")',
    send: () => json('POST', '/v1/apps', { name: 'a\u0000b' }),
    status: 400,
    code: 'validation_failed',
    field: 'name',
    bug: 'name accepts NUL; Postgres refuses it in text and the API answers 500 internal',
  },
  {
    route: 'POST /v1/apps',
    name: 'raw NUL byte inside a JSON string',
    send: () => send('POST', '/v1/apps', Buffer.from('{"name":"a\u0000b"}')),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'POST /v1/apps',
    name: 'invalid UTF-8 bytes (ff fe c0 af) in name',
    send: () => send('POST', '/v1/apps', invalidUtf8('{"name":"', '"}')),
    status: 400,
    mentions: [/UTF-8/i],
    bug: 'the bytes are decoded to U+FFFD and the app is created (201): the write happens',
  },
  {
    route: 'POST /v1/apps',
    name: 'lone UTF-16 surrogate escaped in name ("\\ud800")',
    send: () => send('POST', '/v1/apps', '{"name":"\\ud800"}'),
    status: 400,
    mentions: [/name|UTF|surrogate|unicode/i],
    bug: 'the lone surrogate is stored as U+FFFD and the app is created (201): the write happens',
  },

  // ---------------------------------------------------------------- PATCH /v1/apps/:app_id
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'invalid JSON (single quotes)',
    send: () => send('PATCH', A(), "{'name': 'x'}"),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'empty object',
    send: () => json('PATCH', A(), {}),
    status: 400,
    code: 'validation_failed',
    mentions: ['send at least one of name, privacy, alert_url'],
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'name as a number',
    send: () => json('PATCH', A(), { name: 123 }),
    status: 400,
    code: 'validation_failed',
    field: 'name',
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'boolean sent as a string (privacy.share_user_email: "true")',
    send: () => json('PATCH', A(), { privacy: { share_user_email: 'true' } }),
    status: 400,
    code: 'validation_failed',
    field: 'privacy.share_user_email',
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'unknown field id (trying to change the id)',
    send: () => json('PATCH', A(), { id: 'app_other', name: 'x' }),
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'unknown privacy field',
    send: () => json('PATCH', A(), { privacy: { share_everything: true } }),
    status: 400,
    code: 'validation_failed',
    field: 'privacy.share_everything',
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'arrays nested 10,000 levels deep',
    send: () => send('PATCH', A(), nested(10_000)),
    status: 400,
    code: 'validation_failed',
    field: '(body)',
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'Content-Type: text/plain',
    send: () => send('PATCH', A(), '{"name":"x"}', { contentType: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
    mentions: [/Content-Type must be application\/json/],
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'a body over 256 KB',
    send: () => json('PATCH', A(), { name: OVER_LIMIT }),
    status: 413,
    code: 'body_too_large',
    mentions: [/256 KB/],
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'NUL escaped in name',
    send: () => json('PATCH', A(), { name: 'x\u0000' }),
    status: 400,
    code: 'validation_failed',
    field: 'name',
    bug: 'name accepts NUL; Postgres refuses it in text and the API answers 500 internal',
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'SQL-looking app id in the path',
    send: () => json('PATCH', `/v1/apps/${SQL_APP_ID}`, { name: 'x' }),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'app id of 10,000 characters',
    send: () => json('PATCH', `/v1/apps/${LONG_APP_ID}`, { name: 'x' }),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'app id with CR LF (%0D%0A)',
    send: () => json('PATCH', '/v1/apps/app_a%0D%0Ab', { name: 'x' }),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'PATCH /v1/apps/:app_id',
    name: 'app id with NUL (%00)',
    send: () => json('PATCH', '/v1/apps/app_a%00b', { name: 'x' }),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
    bug: 'scopeToApp passes the NUL to Postgres, which refuses it: 500 internal',
  },

  // ---------------------------------------------------------------- POST /v1/apps/:app_id/rotate-key
  {
    route: 'POST /v1/apps/:app_id/rotate-key',
    name: 'app id of 10,000 characters',
    send: () => send('POST', `/v1/apps/${LONG_APP_ID}/rotate-key`),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'POST /v1/apps/:app_id/rotate-key',
    name: 'SQL-looking app id',
    send: () => send('POST', `/v1/apps/${encodeURIComponent(`app_x${DROP_APPS}`)}/rotate-key`),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'POST /v1/apps/:app_id/rotate-key',
    name: 'app id with NUL (%00)',
    send: () => send('POST', '/v1/apps/app_a%00b/rotate-key'),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
    bug: 'scopeToApp passes the NUL to Postgres: 500 internal',
  },
  {
    route: 'POST /v1/apps/:app_id/rotate-key',
    name: 'invalid JSON body',
    send: () => send('POST', `${A()}/rotate-key`, '{"force": tru'),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'POST /v1/apps/:app_id/rotate-key',
    name: 'a body over 256 KB',
    send: () => json('POST', `${A()}/rotate-key`, { pad: OVER_LIMIT }),
    status: 413,
    code: 'body_too_large',
    mentions: [/256 KB/],
  },
  {
    route: 'POST /v1/apps/:app_id/rotate-key',
    name: 'unknown field in the body (the route takes none)',
    send: () => json('POST', `${A()}/rotate-key`, { api_key: 'cwk_mine' }),
    status: 400,
    mentions: ['api_key'],
    bug: 'the body is ignored and the key is rotated (200): the app row is written',
  },
  {
    route: 'POST /v1/apps/:app_id/rotate-key',
    name: 'Content-Type: text/plain with a body',
    send: () => send('POST', `${A()}/rotate-key`, 'rotate please', { contentType: 'text/plain' }),
    status: 415,
    mentions: [/Content-Type/],
    bug: 'the body is ignored and the key is rotated (200): the app row is written',
  },

  // ---------------------------------------------------------------- POST /v1/apps/:app_id/webhooks
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'invalid JSON (trailing comma)',
    send: () => send('POST', `${A()}/webhooks`, '{"url":"https://example.com","events":["message_sent"],}'),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'url as a number',
    send: () => json('POST', `${A()}/webhooks`, { ...validWebhook(), url: 42 }),
    status: 400,
    code: 'validation_failed',
    field: 'url',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'events as a string, not an array',
    send: () => json('POST', `${A()}/webhooks`, { ...validWebhook(), events: 'message_sent' }),
    status: 400,
    code: 'validation_failed',
    field: 'events',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'events empty',
    send: () => json('POST', `${A()}/webhooks`, { ...validWebhook(), events: [] }),
    status: 400,
    code: 'validation_failed',
    field: 'events',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'SQL-looking event type',
    send: () =>
      json('POST', `${A()}/webhooks`, { ...validWebhook(), events: ["message_sent'; DROP TABLE webhooks; --"] }),
    status: 400,
    code: 'validation_failed',
    field: 'events.0',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'boolean sent as a string (enabled: "true")',
    send: () => json('POST', `${A()}/webhooks`, { ...validWebhook(), enabled: 'true' }),
    status: 400,
    code: 'validation_failed',
    field: 'enabled',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'number for fire in a condition',
    send: () =>
      json('POST', `${A()}/webhooks`, {
        ...validWebhook(),
        events: ['custom_condition'],
        conditions: [{ prompt: 'x', fire: 1 }],
      }),
    status: 400,
    code: 'validation_failed',
    field: 'conditions.0.fire',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'condition id with CR LF escaped ("a\\r\\nb")',
    send: () =>
      json('POST', `${A()}/webhooks`, {
        ...validWebhook(),
        events: ['custom_condition'],
        conditions: [{ id: 'a\r\nb', prompt: 'x' }],
      }),
    status: 400,
    code: 'validation_failed',
    field: 'conditions.0.id',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'condition id of 10,000 characters',
    send: () =>
      json('POST', `${A()}/webhooks`, {
        ...validWebhook(),
        events: ['custom_condition'],
        conditions: [{ id: 'c'.repeat(10_000), prompt: 'x' }],
      }),
    status: 400,
    code: 'validation_failed',
    field: 'conditions.0.id',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'unknown field secret',
    send: () => json('POST', `${A()}/webhooks`, { ...validWebhook(), secret: 'whsec_mine' }),
    status: 400,
    code: 'validation_failed',
    field: 'secret',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'empty body with Content-Type: application/json',
    send: () => send('POST', `${A()}/webhooks`, ''),
    status: 400,
    code: 'validation_failed',
    field: 'url',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'arrays nested 10,000 levels deep',
    send: () => send('POST', `${A()}/webhooks`, nested(10_000)),
    status: 400,
    code: 'validation_failed',
    field: '(body)',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'Content-Type: application/xml',
    send: () => send('POST', `${A()}/webhooks`, '<webhook/>', { contentType: 'application/xml' }),
    status: 415,
    code: 'unsupported_media_type',
    mentions: [/application\/xml/],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'a body over 256 KB',
    send: () => json('POST', `${A()}/webhooks`, { ...validWebhook(), description: OVER_LIMIT }),
    status: 413,
    code: 'body_too_large',
    mentions: [/256 KB/],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'app id of 10,000 characters',
    send: () => json('POST', `/v1/apps/${LONG_APP_ID}/webhooks`, validWebhook()),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'NUL escaped in description',
    send: () => json('POST', `${A()}/webhooks`, { ...validWebhook(), description: 'a\u0000b' }),
    status: 400,
    code: 'validation_failed',
    field: 'description',
    bug: 'description accepts NUL; Postgres refuses it in text: 500 internal',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'NUL escaped in a condition prompt',
    send: () =>
      json('POST', `${A()}/webhooks`, {
        ...validWebhook(),
        events: ['custom_condition'],
        conditions: [{ prompt: 'a\u0000b' }],
      }),
    status: 400,
    code: 'validation_failed',
    field: 'conditions.0.prompt',
    bug: 'prompt accepts NUL; Postgres refuses \\u0000 in jsonb: 500 internal',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks',
    name: 'url with CR LF escaped inside it',
    send: () => json('POST', `${A()}/webhooks`, { ...validWebhook(), url: `${receiver.url}/a\r\nX-Injected: 1` }),
    status: 400,
    mentions: ['url'],
    bug: 'the URL parser silently strips CR/LF and the webhook is created (201) with a different URL than sent',
  },

  // ---------------------------------------------------------------- PATCH /v1/apps/:app_id/webhooks/:webhook_id
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'invalid JSON (unquoted key)',
    send: () => send('PATCH', W(), '{enabled: false}'),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'empty object',
    send: () => json('PATCH', W(), {}),
    status: 400,
    code: 'validation_failed',
    mentions: ['send at least one field to change'],
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'boolean sent as a string (enabled: "false")',
    send: () => json('PATCH', W(), { enabled: 'false' }),
    status: 400,
    code: 'validation_failed',
    field: 'enabled',
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'events null',
    send: () => json('PATCH', W(), { events: null }),
    status: 400,
    code: 'validation_failed',
    field: 'events',
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'unknown field app_id (trying to move the webhook)',
    send: () => json('PATCH', W(), { app_id: 'app_other' }),
    status: 400,
    code: 'validation_failed',
    field: 'app_id',
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'arrays nested 10,000 levels deep',
    send: () => send('PATCH', W(), nested(10_000)),
    status: 400,
    code: 'validation_failed',
    field: '(body)',
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'Content-Type: text/plain',
    send: () => send('PATCH', W(), '{"enabled":false}', { contentType: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
    mentions: [/Content-Type must be application\/json/],
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'a body over 256 KB',
    send: () => json('PATCH', W(), { description: OVER_LIMIT }),
    status: 413,
    code: 'body_too_large',
    mentions: [/256 KB/],
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'webhook id of 10,000 characters',
    send: () => json('PATCH', `${A()}/webhooks/${LONG_WEBHOOK_ID}`, { enabled: false }),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'SQL-looking webhook id',
    send: () => json('PATCH', `${A()}/webhooks/${SQL_WEBHOOK_ID}`, { enabled: false }),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'webhook id with CR LF (%0D%0A)',
    send: () => json('PATCH', `${A()}/webhooks/wh_a%0D%0Ab`, { enabled: false }),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'webhook id with NUL (%00)',
    send: () => json('PATCH', `${A()}/webhooks/wh_a%00b`, { enabled: false }),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
    bug: 'findWebhook passes the NUL to Postgres: 500 internal',
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'NUL escaped in description',
    send: () => json('PATCH', W(), { description: 'a\u0000b' }),
    status: 400,
    code: 'validation_failed',
    field: 'description',
    bug: 'description accepts NUL; Postgres refuses it in text: 500 internal',
  },
  {
    route: 'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
    name: 'NUL escaped inside url',
    send: () => json('PATCH', W(), { url: `${receiver.url}/a\u0000b` }),
    status: 400,
    mentions: ['url'],
    bug: 'the URL parser percent-encodes the NUL and the webhook url is changed (200): the webhook row is written',
  },

  // ---------------------------------------------------------------- POST .../webhooks/:webhook_id/rotate-secret
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/rotate-secret',
    name: 'webhook id of 10,000 characters',
    send: () => send('POST', `${A()}/webhooks/${LONG_WEBHOOK_ID}/rotate-secret`),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/rotate-secret',
    name: 'SQL-looking webhook id',
    send: () => send('POST', `${A()}/webhooks/${SQL_WEBHOOK_ID}/rotate-secret`),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/rotate-secret',
    name: 'webhook of an app id that does not exist',
    send: () => send('POST', `/v1/apps/app_doesnotexist/webhooks/${webhookId}/rotate-secret`),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/rotate-secret',
    name: 'webhook id with NUL (%00)',
    send: () => send('POST', `${A()}/webhooks/wh_a%00b/rotate-secret`),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
    bug: 'findWebhook passes the NUL to Postgres: 500 internal',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/rotate-secret',
    name: 'invalid JSON body',
    send: () => send('POST', `${W()}/rotate-secret`, '{"overlap":'),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/rotate-secret',
    name: 'unknown field in the body (the route takes none)',
    send: () => json('POST', `${W()}/rotate-secret`, { secret: 'whsec_mine' }),
    status: 400,
    mentions: ['secret'],
    bug: 'the body is ignored and the secret is rotated (200): the webhook row is written',
  },

  // ---------------------------------------------------------------- POST .../webhooks/:webhook_id/test
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/test',
    name: 'webhook id that does not exist',
    send: () => send('POST', `${A()}/webhooks/wh_doesnotexist/test`),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/test',
    name: 'webhook id with CR LF (%0D%0A)',
    send: () => send('POST', `${A()}/webhooks/wh_a%0D%0Ab/test`),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/test',
    name: 'webhook id with NUL (%00)',
    send: () => send('POST', `${A()}/webhooks/wh_a%00b/test`),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
    bug: 'findWebhook passes the NUL to Postgres: 500 internal',
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/test',
    name: 'invalid JSON body',
    send: () => send('POST', `${W()}/test`, '{"a":1}{"b":2}'),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/test',
    name: 'a body over 256 KB',
    send: () => json('POST', `${W()}/test`, { pad: OVER_LIMIT }),
    status: 413,
    code: 'body_too_large',
    mentions: [/256 KB/],
  },
  {
    route: 'POST /v1/apps/:app_id/webhooks/:webhook_id/test',
    name: 'unknown field in the body (the route takes none)',
    send: () => json('POST', `${W()}/test`, { url: 'http://127.0.0.1:1/elsewhere' }),
    status: 400,
    mentions: ['url'],
    bug: 'the body is ignored and a test delivery is sent and logged (200): a deliveries row and attempts are written',
  },

  // ---------------------------------------------------------------- POST /v1/apps/:app_id/events
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'invalid JSON (truncated)',
    send: () => send('POST', `${A()}/events`, '{"id": "e1", '),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'raw CR LF bytes inside a JSON string',
    send: () => send('POST', `${A()}/events`, '{"id":"a\r\nb","type":"user_signup"}'),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'id with CR LF escaped ("a\\r\\nb")',
    send: () => json('POST', `${A()}/events`, { id: 'a\r\nb', type: 'user_signup' }),
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'id with NUL escaped',
    send: () => json('POST', `${A()}/events`, { id: 'a\u0000b', type: 'user_signup' }),
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'message with NUL escaped',
    send: () =>
      json('POST', `${A()}/events`, { id: 'e_nul', type: 'message_sent', conversation_id: 'c', message: 'hi\u0000' }),
    status: 400,
    code: 'validation_failed',
    field: 'message',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'id of 10,000 characters',
    send: () => json('POST', `${A()}/events`, { id: 'e'.repeat(10_000), type: 'user_signup' }),
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'conversation_id of 10,000 characters',
    send: () =>
      json('POST', `${A()}/events`, { id: 'e_long', type: 'conversation_end', conversation_id: 'c'.repeat(10_000) }),
    status: 400,
    code: 'validation_failed',
    field: 'conversation_id',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'id as a number',
    send: () => json('POST', `${A()}/events`, { id: 123, type: 'user_signup' }),
    status: 400,
    code: 'validation_failed',
    field: 'id',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'boolean sent as a string (user.logged_in: "true")',
    send: () => json('POST', `${A()}/events`, { id: 'e_b', type: 'user_signup', user: { logged_in: 'true' } }),
    status: 400,
    code: 'validation_failed',
    field: 'user.logged_in',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'occurred_at as a number',
    send: () => json('POST', `${A()}/events`, { id: 'e_t', type: 'user_signup', occurred_at: 1_700_000_000 }),
    status: 400,
    code: 'validation_failed',
    field: 'occurred_at',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'SQL-looking type',
    send: () => json('POST', `${A()}/events`, { id: 'e_sql', type: "user_signup' OR 1=1 --" }),
    status: 400,
    code: 'validation_failed',
    field: 'type',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'unknown field',
    send: () => json('POST', `${A()}/events`, { id: 'e_u', type: 'user_signup', priority: 'high' }),
    status: 400,
    code: 'validation_failed',
    field: 'priority',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'empty body with Content-Type: application/json',
    send: () => send('POST', `${A()}/events`, ''),
    status: 400,
    code: 'validation_failed',
    field: 'type',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'arrays nested 10,000 levels deep',
    send: () => send('POST', `${A()}/events`, nested(10_000)),
    status: 400,
    code: 'validation_failed',
    field: '(body)',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'user holding arrays nested 9,999 levels (10,000 in all)',
    send: () => send('POST', `${A()}/events`, `{"id":"e_deep","type":"user_signup","user":${nested(9_999)}}`),
    status: 400,
    code: 'validation_failed',
    field: 'user',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'Content-Type: text/plain',
    send: () => send('POST', `${A()}/events`, '{"id":"e1","type":"user_signup"}', { contentType: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
    mentions: [/Content-Type must be application\/json/],
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'a body over 256 KB',
    send: () =>
      json('POST', `${A()}/events`, { id: 'e_big', type: 'message_sent', conversation_id: 'c', message: OVER_LIMIT }),
    status: 413,
    code: 'body_too_large',
    mentions: [/256 KB/],
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'Idempotency-Key of 10,000 characters (no id in the body)',
    send: () => json('POST', `${A()}/events`, { type: 'user_signup' }, { 'idempotency-key': 'k'.repeat(10_000) }),
    status: 400,
    code: 'validation_failed',
    field: 'Idempotency-Key',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'Idempotency-Key with a tab inside',
    send: () => json('POST', `${A()}/events`, { type: 'user_signup' }, { 'idempotency-key': 'a\tb' }),
    status: 400,
    code: 'validation_failed',
    field: 'Idempotency-Key',
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'SQL-looking app id',
    send: () => json('POST', `/v1/apps/${SQL_APP_ID}/events`, { id: 'e_s', type: 'user_signup' }),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'invalid UTF-8 bytes (ff fe c0 af) in id',
    send: () => send('POST', `${A()}/events`, invalidUtf8('{"type":"user_signup","id":"', '"}')),
    status: 400,
    mentions: [/UTF-8/i],
    bug: 'the bytes are decoded to U+FFFD and the event is accepted (202): an events row is written and a workflow started',
  },
  // Raw sockets: fetch refuses CR/LF in header values, so these bytes go straight to the API port.
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'raw socket: Idempotency-Key with a bare CR inside',
    send: () => rawEventWithHeader('Idempotency-Key: a\rb\r\n'),
    status: 400,
    mentions: [/Idempotency-Key|header/i],
    bug: "Node's HTTP parser refuses it before express: 400 with an empty body, no JSON error",
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'raw socket: Idempotency-Key with a bare LF inside',
    send: () => rawEventWithHeader('Idempotency-Key: a\nb\r\n'),
    status: 400,
    mentions: [/Idempotency-Key|header/i],
    bug: "Node's HTTP parser refuses it before express: 400 with an empty body, no JSON error",
  },
  {
    route: 'POST /v1/apps/:app_id/events',
    name: 'raw socket: Idempotency-Key with CR LF then a line without a colon',
    send: () => rawEventWithHeader('Idempotency-Key: a\r\nb\r\n'),
    status: 400,
    mentions: [/header/i],
    bug: "Node's HTTP parser refuses it before express: 400 with an empty body, no JSON error",
  },

  // ---------------------------------------------------------------- POST /v1/apps/:app_id/conditions/try
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'invalid JSON (NaN)',
    send: () => send('POST', `${A()}/conditions/try`, '{"prompt": NaN}'),
    status: 400,
    code: 'invalid_json',
    mentions: [/not valid JSON/],
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'transcript as a string',
    send: () => json('POST', `${A()}/conditions/try`, { ...validTry, transcript: 'user: hi' }),
    status: 400,
    code: 'validation_failed',
    field: 'transcript',
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'transcript empty',
    send: () => json('POST', `${A()}/conditions/try`, { ...validTry, transcript: [] }),
    status: 400,
    code: 'validation_failed',
    field: 'transcript',
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'unknown role',
    send: () => json('POST', `${A()}/conditions/try`, { ...validTry, transcript: [{ role: 'system', text: 'x' }] }),
    status: 400,
    code: 'validation_failed',
    field: 'transcript.0.role',
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'number for text',
    send: () => json('POST', `${A()}/conditions/try`, { ...validTry, transcript: [{ role: 'user', text: 42 }] }),
    status: 400,
    code: 'validation_failed',
    field: 'transcript.0.text',
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'prompt of 10,000 characters',
    send: () => json('POST', `${A()}/conditions/try`, { ...validTry, prompt: 'p'.repeat(10_000) }),
    status: 400,
    code: 'validation_failed',
    field: 'prompt',
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'unknown field',
    send: () => json('POST', `${A()}/conditions/try`, { ...validTry, model: 'gpt-5' }),
    status: 400,
    code: 'validation_failed',
    field: 'model',
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'arrays nested 10,000 levels deep',
    send: () => send('POST', `${A()}/conditions/try`, nested(10_000)),
    status: 400,
    code: 'validation_failed',
    field: '(body)',
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'Content-Type: text/plain',
    send: () => send('POST', `${A()}/conditions/try`, JSON.stringify(validTry), { contentType: 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
    mentions: [/Content-Type must be application\/json/],
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'a body over 256 KB',
    send: () =>
      json('POST', `${A()}/conditions/try`, { ...validTry, transcript: [{ role: 'user', text: OVER_LIMIT }] }),
    status: 413,
    code: 'body_too_large',
    mentions: [/256 KB/],
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'app id of 10,000 characters',
    send: () => json('POST', `/v1/apps/${LONG_APP_ID}/conditions/try`, validTry),
    status: 404,
    code: NOT_FOUND,
    mentions: ['not found'],
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'NUL escaped in prompt',
    send: () => json('POST', `${A()}/conditions/try`, { ...validTry, prompt: 'a\u0000b' }),
    status: 400,
    code: 'validation_failed',
    field: 'prompt',
    bug: 'prompt accepts NUL, so the request passes validation (503 llm_not_configured here; sent to the LLM when one is configured)',
  },
  {
    route: 'POST /v1/apps/:app_id/conditions/try',
    name: 'NUL escaped in transcript text',
    send: () =>
      json('POST', `${A()}/conditions/try`, { ...validTry, transcript: [{ role: 'user', text: 'a\u0000b' }] }),
    status: 400,
    code: 'validation_failed',
    field: 'transcript.0.text',
    bug: 'text accepts NUL, so the request passes validation (503 llm_not_configured here; sent to the LLM when one is configured)',
  },
];

function describeReply(r: Reply): string {
  return `${r.status} ${r.contentType} ${JSON.stringify(r.text.slice(0, 400))}`;
}

function assertRefused(c: Case, reply: Reply): void {
  const why = `${c.route} — ${c.name}: got ${describeReply(reply)}${c.bug ? `\n  regression of a fixed bug: ${c.bug}` : ''}`;
  assert.ok(reply.status >= 400 && reply.status < 500, `expected a 4xx. ${why}`);
  if (c.status !== '4xx') assert.equal(reply.status, c.status, `expected ${c.status}. ${why}`);
  assert.match(reply.contentType, /^application\/json\b/, `expected a JSON body. ${why}`);
  let body: any;
  try {
    body = JSON.parse(reply.text);
  } catch {
    assert.fail(`body is not JSON. ${why}`);
  }
  assert.equal(typeof body?.error, 'object', `expected { error: { code, message } }. ${why}`);
  assert.equal(typeof body.error.code, 'string', why);
  assert.ok(body.error.code.length > 0, why);
  assert.equal(typeof body.error.message, 'string', why);
  assert.ok(body.error.message.trim().length > 0, `empty message. ${why}`);
  if (c.code) assert.equal(body.error.code, c.code, why);
  if (c.field) {
    assert.ok(Array.isArray(body.error.details), `expected details naming ${c.field}. ${why}`);
    assert.ok(
      body.error.details.some((d: { field?: unknown }) => d.field === c.field),
      `details must name ${c.field}: ${JSON.stringify(body.error.details)}. ${why}`,
    );
    assert.ok(body.error.message.includes(c.field), `message must name ${c.field}. ${why}`);
  }
  for (const m of c.mentions ?? []) {
    if (typeof m === 'string')
      assert.ok(body.error.message.includes(m), `message must mention ${JSON.stringify(m)}. ${why}`);
    else assert.match(body.error.message, m, `message must match ${m}. ${why}`);
  }
}

async function assertHealthy(after: string): Promise<void> {
  const res = await fetch(`${stack.apiUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(res.status, 200, `GET /healthz after ${after}`);
  assert.deepEqual(await res.json(), { status: 'ok' });
}

describe('malformed requests against every write route', () => {
  test('the corpus is large and reaches every write route', () => {
    assert.ok(cases.length >= 60, `${cases.length} cases`);
    const routes = new Set(cases.map((c) => c.route));
    assert.deepEqual([...routes].sort(), [
      'PATCH /v1/apps/:app_id',
      'PATCH /v1/apps/:app_id/webhooks/:webhook_id',
      'POST /v1/apps',
      'POST /v1/apps/:app_id/conditions/try',
      'POST /v1/apps/:app_id/events',
      'POST /v1/apps/:app_id/rotate-key',
      'POST /v1/apps/:app_id/webhooks',
      'POST /v1/apps/:app_id/webhooks/:webhook_id/rotate-secret',
      'POST /v1/apps/:app_id/webhooks/:webhook_id/test',
    ]);
    const names = cases.map((c) => `${c.route} ${c.name}`);
    assert.equal(new Set(names).size, names.length, 'case names are unique');
  });

  for (const c of cases) {
    test(`${c.route}: ${c.name} → ${c.status}`, async () => {
      const before = await snapshot();
      const reply = await c.send();
      // Check the service and the database before the answer, so a failing answer still reports a write.
      await assertHealthy(`${c.route} ${c.name}`);
      const afterwards = await snapshot();
      assert.deepEqual(
        afterwards,
        before,
        `${c.route} — ${c.name}: something was written (answer: ${describeReply(reply)})${c.bug ? `\n  regression of a fixed bug: ${c.bug}` : ''}`,
      );
      assertRefused(c, reply);
    });
  }

  test('after the whole corpus: the service answers, and every table holds exactly the rows it held before', async () => {
    await assertHealthy('the whole corpus');
    const ready = await fetch(`${stack.apiUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(ready.status, 200);
    const now = await snapshot();
    assert.deepEqual(now.counts, baseline.counts, 'row counts per table');
    assert.deepEqual(now.app, baseline.app, 'the fixture app row');
    assert.deepEqual(now.webhook, baseline.webhook, 'the fixture webhook row');
    // The API still does its work with the fixtures.
    const read = await stack.request('GET', `/v1/apps/${appId}/webhooks/${webhookId}`);
    assert.equal(read.status, 200);
  });
});

describe('SQL-looking text is valid input', () => {
  test(`an app named ${JSON.stringify(DROP_APPS)} is created, stored literally, and breaks nothing`, async () => {
    const beforeCounts = (await snapshot()).counts;
    const created = await stack.request('POST', '/v1/apps', { name: DROP_APPS });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.name, DROP_APPS);
    const id: string = created.body.id;

    const read = await stack.request('GET', `/v1/apps/${id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.name, DROP_APPS);
    const stored = await stack.db.pool.query<{ name: string }>('SELECT name FROM apps WHERE id = $1', [id]);
    assert.equal(stored.rows[0]?.name, DROP_APPS);

    const renamed = 'Robert\'); DROP TABLE webhooks;-- " OR 1=1 /*';
    const patched = await stack.request('PATCH', `/v1/apps/${id}`, { name: renamed });
    assert.equal(patched.status, 200);
    assert.equal((await stack.request('GET', `/v1/apps/${id}`)).body.name, renamed);

    // Every table is still there, and only the one new app was added.
    const { rows } = await stack.db.pool.query<{ name: string; present: boolean }>(
      'SELECT t AS name, to_regclass(t) IS NOT NULL AS present FROM unnest($1::text[]) AS t',
      [[...TABLES]],
    );
    assert.deepEqual(
      rows.filter((r) => !r.present).map((r) => r.name),
      [],
    );
    const afterCounts = (await snapshot()).counts;
    assert.deepEqual(afterCounts, { ...beforeCounts, apps: beforeCounts.apps! + 1 });

    // The fixture app and webhook are untouched and still served.
    assert.equal((await stack.request('GET', `/v1/apps/${appId}`)).status, 200);
    assert.equal((await stack.request('GET', `/v1/apps/${appId}/webhooks/${webhookId}`)).status, 200);
    await assertHealthy('the SQL-looking name');
  });
});

describe('international addresses and any Unicode text are valid input', () => {
  // Addresses are passed on, never mailed: RFC 6531's internationalised ones, and the shortest that has an @.
  const emails = ['josé@exämple.com', '用户@例子.广告', 'a@b.c'];
  const text = {
    name: 'Zoë 👩🏽‍💻 مريم',
    message: 'Hello\u2028world, שלום 🎉\nsecond line',
    response: 'مرحبا — line\u2029separator',
    conversationId: 'conv-🧵-\u2028-עברית',
    userId: 'u-ü-\u2028-😀',
  };

  test('each is accepted and delivered byte for byte', async () => {
    const own = await startReceiver();
    try {
      const { appId: ownApp } = await stack.createAppWithWebhook(own.url);
      for (const [i, email] of emails.entries()) {
        const event = {
          id: `evt-intl-${i}-✓`,
          type: 'message_sent',
          conversation_id: text.conversationId,
          user: { id: text.userId, email, name: text.name, logged_in: true },
          message: text.message,
          response: text.response,
        };
        const accepted = await stack.request('POST', `/v1/apps/${ownApp}/events`, event);
        assert.equal(accepted.status, 202, `${email}: ${JSON.stringify(accepted.body)}`);
      }
      const received = await own.waitForRequests(emails.length, 30_000);
      for (const email of emails) {
        const request = received.find((r) => JSON.parse(r.body).user_email === email);
        assert.ok(request, `a delivery carries ${email}`);
        const payload = JSON.parse(request.body);
        assert.equal(payload.user_name, text.name);
        assert.equal(payload.last_message, text.message);
        assert.equal(payload.response, text.response);
        assert.equal(payload.conversation_id, text.conversationId);
        // The bytes themselves, not only equal strings after parsing: nothing was re-encoded on the way.
        for (const value of [email, text.name, text.message.split('\n')[0]!, text.response]) {
          assert.ok(Buffer.from(request.body, 'utf8').includes(Buffer.from(value, 'utf8')), `raw bytes of ${value}`);
        }
      }
    } finally {
      await own.close();
    }
  });

  test('an address without an @, or with a control character, is still refused, naming the field', async () => {
    for (const email of ['no-at-sign', 'a@b\u0007.c', '']) {
      const refused = await stack.request('POST', `/v1/apps/${appId}/events`, {
        type: 'user_signup',
        user: { email, logged_in: true },
      });
      assert.equal(refused.status, 400, `${JSON.stringify(email)}: ${JSON.stringify(refused.body)}`);
      assert.ok(
        JSON.stringify(refused.body.error).includes('user.email'),
        `${JSON.stringify(email)}: the answer names user.email: ${JSON.stringify(refused.body)}`,
      );
    }
  });
});
