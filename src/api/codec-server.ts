/**
 * The codec server, as Temporal's codec-server protocol defines it, so that the Temporal UI and CLI show decrypted
 * payloads to operators: `POST /codec/decode` and `POST /codec/encode` take `{ payloads: [{ metadata, data }] }` (the
 * JSON form of Temporal's Payloads: metadata values and data base64) and answer the same shape, decoded or encoded
 * by the same codec as the workers.
 *
 * Authentication: `Authorization: Bearer <CODEC_API_KEY or the admin key>` (the CLI's `--codec-auth`), or the codec
 * key as a path segment, `/codec/<CODEC_API_KEY>/decode`, for the Temporal UI, which cannot send a header of its own.
 * Only the codec key works in the path: the admin key never goes into a URL. CORS answers the Temporal UI's origin
 * (CODEC_CORS_ORIGINS). Request bodies and paths are never logged: they hold chat contents and the key.
 */
import crypto from 'node:crypto';

import type { Payload } from '@temporalio/common';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';

import type { Logger } from '../logger';
import { AesGcmPayloadCodec, type PayloadKey } from '../temporal/codec';

export interface CodecServerOptions {
  payloadKeys: PayloadKey[];
  /** CODEC_API_KEY; the only key accepted in the path. */
  codecApiKey: string | undefined;
  adminApiKey: string;
  corsOrigins: readonly string[];
  logger: Logger;
}

/** A codec request may carry a whole workflow history's payloads. */
const CODEC_BODY_LIMIT = '8mb';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const payloadsSchema = z.strictObject({
  payloads: z.array(
    z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }).passthrough(),
  ),
});

function sameKey(given: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

const fromJson = (p: z.infer<typeof payloadsSchema>['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

export function createCodecRouter(options: CodecServerOptions): express.Router {
  const router = express.Router();
  const codec = new AesGcmPayloadCodec(options.payloadKeys);
  const origins = new Set(options.corsOrigins);

  // CORS for the Temporal UI: its page calls this API from another origin, with a preflight first.
  router.use('/codec', (req, res, next) => {
    const origin = req.get('origin');
    if (origin && origins.has(origin)) {
      res.set({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'authorization, content-type, x-namespace',
        'access-control-max-age': '600',
      });
    }
    res.vary('origin');
    res.set('cache-control', 'no-store');
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  });

  const handle = (action: 'encode' | 'decode', keyFrom: 'header' | 'path') => [
    express.json({ limit: CODEC_BODY_LIMIT, type: () => true }),
    async (req: Request, res: Response) => {
      const authorized =
        keyFrom === 'path'
          ? sameKey(String(req.params.key), options.codecApiKey)
          : (() => {
              const bearer = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
              return sameKey(bearer, options.codecApiKey) || sameKey(bearer, options.adminApiKey);
            })();
      if (!authorized) return fail(res, 401, 'unauthorized', 'The codec server needs CODEC_API_KEY or the admin key');
      const body = payloadsSchema.safeParse(req.body);
      if (!body.success) {
        return fail(res, 400, 'validation_failed', `Invalid codec request: ${body.error.issues[0]?.message ?? ''}`);
      }
      try {
        const payloads = body.data.payloads.map(fromJson);
        const out = action === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
        res.json({ payloads: out.map(toJson) });
      } catch (error) {
        // A payload this deployment cannot decrypt (a key that was dropped, a tampered payload): say so, log no data.
        options.logger.warn({ action, err: { message: (error as Error).message } }, 'codec request failed');
        fail(res, 422, 'codec_failed', (error as Error).message);
      }
    },
  ];

  router.post('/codec/encode', ...handle('encode', 'header'));
  router.post('/codec/decode', ...handle('decode', 'header'));
  router.post('/codec/:key/encode', ...handle('encode', 'path'));
  router.post('/codec/:key/decode', ...handle('decode', 'path'));
  // Every error is answered here (a body over the limit, bad JSON, a fault), so none reaches the general error
  // handler, which logs the path: here it may hold the codec key.
  router.use('/codec', (error: unknown, _req: Request, res: Response, _next: (e?: unknown) => void) => {
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return fail(res, status, status === 413 ? 'payload_too_large' : 'invalid_json', (error as Error).message);
    }
    options.logger.error({ err: { message: (error as Error).message } }, 'codec server fault');
    fail(res, 500, 'internal', 'Internal server error');
  });
  return router;
}
