import { Router } from 'express';
import { z } from 'zod';

import type { Db } from '../../db/pool';
import { type AppRow, deleteApp, insertApp, listApps, replaceAppKey, updateApp } from '../../db/queries/apps';
import { listWebhookIds } from '../../db/queries/webhooks';
import type { Logger } from '../../logger';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../../security/api-keys';
import { checkDestination, type DestinationPolicy, type Resolver } from '../../security/destination';
import type { EventServiceDeps } from '../../services/events';
import { notifyWebhooksChanged } from '../../services/webhooks';
import { principalOf, requireAdmin, requireJson, scopedApp } from '../auth';
import { requireNoBody } from '../body';
import { ApiError, parseOr400 } from '../errors';
import { page, pageQuerySchema } from '../pagination';

export const privacySchema = z.strictObject({
  share_user_email: z.boolean().optional().describe('Send user_email (default true).'),
  share_user_name: z.boolean().optional().describe('Send user_name (default true).'),
  share_messages: z.boolean().optional().describe('Send last_message and response (default true).'),
});

const alertUrlField = z
  .string()
  .min(1)
  .max(2048)
  .describe('Where "Webhook disabled" notifications go, signed with the disabled webhook\'s secret; null: nowhere.');

export const createAppBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  privacy: privacySchema.optional(),
  alert_url: alertUrlField.nullable().optional(),
});

export const updateAppBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    privacy: privacySchema.optional(),
    alert_url: alertUrlField.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one of name, privacy, alert_url');

export function appJson(app: AppRow) {
  return {
    id: app.id,
    name: app.name,
    privacy: app.privacy,
    api_key_prefix: app.api_key_prefix,
    alert_url: app.alert_url,
    created_at: app.created_at.toISOString(),
    updated_at: app.updated_at.toISOString(),
  };
}

function newAppKey() {
  const key = generateApiKey('cwk_');
  return { key, hash: hashApiKey(key), prefix: apiKeyPrefix(key) };
}

export function createAppsRouter(deps: {
  db: Db;
  temporal: EventServiceDeps['temporal'];
  logger: Logger;
  destination: DestinationPolicy & { resolver?: Resolver };
}): Router {
  const router = Router();

  /** alert_url gets the same checks as a webhook URL: it is called the same way. */
  async function checkedAlertUrl(raw: string | null | undefined): Promise<string | null | undefined> {
    if (raw === undefined || raw === null) return raw;
    const check = await checkDestination(raw, deps.destination, deps.destination.resolver);
    if (!check.ok)
      throw new ApiError(400, 'invalid_url', `Invalid alert_url: ${check.reason}`, [
        { field: 'alert_url', message: check.reason },
      ]);
    return check.url;
  }

  router.post('/', requireAdmin, requireJson, async (req, res) => {
    const body = parseOr400(createAppBodySchema, req.body);
    const alertUrl = await checkedAlertUrl(body.alert_url);
    const key = newAppKey();
    const app = await insertApp(deps.db, {
      ...body,
      alertUrl: alertUrl ?? null,
      apiKeyHash: key.hash,
      apiKeyPrefix: key.prefix,
    });
    // The only answer that carries the key: the database keeps its hash.
    res.status(201).json({ ...appJson(app), api_key: key.key });
  });

  // The admin key lists every app; an app key sees its own.
  router.get('/', async (req, res) => {
    const query = parseOr400(pageQuerySchema, req.query, 'query');
    const principal = principalOf(res);
    const onlyId = principal.kind === 'app' ? principal.appId : undefined;
    res.json(
      await page(
        query,
        (p) => listApps(deps.db, { ...p, onlyId }),
        (row) => appJson(row),
      ),
    );
  });

  // `/:app_id` routes run after scopeToApp (mounted in createApp), which checks the key reaches the app.
  router.get('/:app_id', (_req, res) => {
    res.json(appJson(scopedApp(res)));
  });

  router.patch('/:app_id', requireJson, async (req, res) => {
    const body = parseOr400(updateAppBodySchema, req.body);
    const alertUrl = await checkedAlertUrl(body.alert_url);
    const app = await updateApp(deps.db, scopedApp(res).id, {
      name: body.name,
      privacy: body.privacy,
      ...(alertUrl !== undefined ? { alertUrl } : {}),
    });
    res.json(appJson(app!));
  });

  router.post('/:app_id/rotate-key', requireNoBody, async (_req, res) => {
    const key = newAppKey();
    const app = await replaceAppKey(deps.db, scopedApp(res).id, key.hash, key.prefix);
    res.json({ ...appJson(app!), api_key: key.key });
  });

  // Deletes the app and its webhooks, and ends their waiting retries. The delivery log is kept.
  router.delete('/:app_id', requireNoBody, async (_req, res) => {
    const appId = scopedApp(res).id;
    const webhookIds = await listWebhookIds(deps.db, appId);
    await deleteApp(deps.db, appId);
    await notifyWebhooksChanged(deps, appId, webhookIds);
    res.status(204).end();
  });

  return router;
}
