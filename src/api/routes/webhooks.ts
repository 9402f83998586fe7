import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/pool';
import { findApp } from '../../db/queries/apps';
import { findWebhook, insertWebhook, listWebhooks, type WebhookRow } from '../../db/queries/webhooks';
import { CHAT_EVENT_TYPES } from '../../domain/events';
import { checkWebhookUrlFormat } from '../../domain/webhook-url';
import { generateWebhookSecret, type SecretBox } from '../../security/secret-box';
import { ApiError, notFound, parseOr400 } from '../errors';
import { requireJson } from '../auth';

export interface WebhooksRouterDeps {
  db: Db;
  secrets: SecretBox;
  delivery: { allowHttp: boolean };
}

export const createWebhookBodySchema = z.strictObject({
  url: z.string().min(1),
  description: z.string().max(500).optional(),
  events: z
    .array(z.enum(CHAT_EVENT_TYPES))
    .min(1, 'choose at least one event')
    .refine((events) => new Set(events).size === events.length, 'events must not repeat'),
  enabled: z.boolean().default(true),
});

const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().optional(),
});

/** The public form of a webhook. The signing secret is never part of it. */
export function webhookJson(w: WebhookRow) {
  return {
    id: w.id,
    app_id: w.app_id,
    url: w.url,
    description: w.description,
    events: w.events,
    enabled: w.enabled,
    disabled_reason: w.disabled_reason,
    created_at: w.created_at.toISOString(),
    updated_at: w.updated_at.toISOString(),
  };
}

// Cursors are opaque to callers: base64url of the last row's (created_at, id).
const encodeCursor = (w: WebhookRow) => Buffer.from(JSON.stringify([w.created_at.toISOString(), w.id])).toString('base64url');
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new ApiError(400, 'validation_failed', 'Invalid request query: cursor: not a cursor this API returned', [
      { field: 'cursor', message: 'not a cursor this API returned' },
    ]);
  }
}

export function createWebhooksRouter(deps: WebhooksRouterDeps): Router {
  const router = Router({ mergeParams: true });
  const appIdOf = (params: unknown) => (params as { app_id: string }).app_id;

  async function requireApp(appId: string) {
    const app = await findApp(deps.db, appId);
    if (!app) throw notFound(`App ${appId}`);
    return app;
  }

  router.post('/', requireJson, async (req, res) => {
    const appId = appIdOf(req.params);
    const body = parseOr400(createWebhookBodySchema, req.body);
    const url = checkWebhookUrlFormat(body.url, { allowHttp: deps.delivery.allowHttp });
    if (!url.ok) {
      throw new ApiError(400, 'invalid_url', `Invalid webhook URL: ${url.reason}`, [{ field: 'url', message: url.reason }]);
    }
    await requireApp(appId);
    const secret = generateWebhookSecret();
    const webhook = await insertWebhook(deps.db, {
      appId,
      url: url.url,
      description: body.description ?? null,
      events: body.events,
      secretEncrypted: deps.secrets.encrypt(secret),
      enabled: body.enabled,
    });
    // The only answer that carries the secret: the receiver needs it to verify signatures.
    res.status(201).json({ ...webhookJson(webhook), secret });
  });

  router.get('/', async (req, res) => {
    const appId = appIdOf(req.params);
    const query = parseOr400(listQuerySchema, req.query, 'query');
    await requireApp(appId);
    const rows = await listWebhooks(deps.db, appId, {
      limit: query.limit + 1,
      after: query.cursor ? decodeCursor(query.cursor) : undefined,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    res.json({ data: page.map(webhookJson), next_cursor: rows.length > query.limit && last ? encodeCursor(last) : null });
  });

  router.get('/:webhook_id', async (req, res) => {
    const appId = appIdOf(req.params);
    const webhookId = (req.params as { webhook_id: string }).webhook_id;
    const webhook = await findWebhook(deps.db, appId, webhookId);
    if (!webhook) throw notFound(`Webhook ${webhookId}`);
    res.json(webhookJson(webhook));
  });

  return router;
}
