import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/pool';
import { findApp, insertApp, type AppRow } from '../../db/queries/apps';
import { notFound, parseOr400 } from '../errors';
import { requireJson } from '../auth';

const privacySchema = z.strictObject({
  share_user_email: z.boolean().optional(),
  share_user_name: z.boolean().optional(),
  share_messages: z.boolean().optional(),
});

export const createAppBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  privacy: privacySchema.optional(),
});

export function appJson(app: AppRow) {
  return {
    id: app.id,
    name: app.name,
    privacy: app.privacy,
    created_at: app.created_at.toISOString(),
    updated_at: app.updated_at.toISOString(),
  };
}

export function createAppsRouter(deps: { db: Db }): Router {
  const router = Router();

  router.post('/', requireJson, async (req, res) => {
    const body = parseOr400(createAppBodySchema, req.body);
    const app = await insertApp(deps.db, body);
    res.status(201).json(appJson(app));
  });

  router.get('/:app_id', async (req, res) => {
    const app = await findApp(deps.db, req.params.app_id);
    if (!app) throw notFound(`App ${req.params.app_id}`);
    res.json(appJson(app));
  });

  return router;
}
