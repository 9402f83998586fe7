/** /v1/apps: apps and their keys. */
import { z } from 'zod';

import { type AppRow, deleteApp, insertApp, listApps, replaceAppKey, updateApp } from '../../db/queries/apps';
import { listWebhookIds } from '../../db/queries/webhooks';
import { nonBlankText } from '../../domain/event-body';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../../security/api-keys';
import { notifyWebhooksChanged } from '../../services/webhooks';
import { ApiError, notFound } from '../errors';
import { appParams, checkedUrl, destinationUrlField, timestamp, warningsField } from '../fields';
import { listOf, page, pageQuerySchema } from '../pagination';
import { defineRoute, type RouteContext } from '../route';

export const privacySchema = z.strictObject({
  share_user_email: z.boolean().optional().describe('Send user_email (default true).'),
  share_user_name: z.boolean().optional().describe('Send user_name (default true).'),
  share_messages: z.boolean().optional().describe('Send last_message and response (default true).'),
});

const alertUrlField = destinationUrlField.describe(
  'Where "Webhook disabled" notifications go, signed with the disabled webhook\'s secret; null: nowhere. The same ' +
    'rules as a webhook url.',
);

const maxEventsPerSecondField = z
  .number()
  .int()
  .min(1)
  .max(1_000_000)
  .nullable()
  .describe(
    'Events per second the events API accepts for this app (a token bucket of that size, shared by every API ' +
      'process); above it, POST .../events answers 429 `rate_limited` with Retry-After and writes nothing. null: the ' +
      "server's APP_MAX_EVENTS_PER_SECOND, or no limit when that is unset. Set with the admin key only.",
  );

export const createAppBodySchema = z
  .strictObject({
    name: nonBlankText(200),
    privacy: privacySchema.optional(),
    alert_url: alertUrlField.nullable().optional(),
    max_events_per_second: maxEventsPerSecondField.optional(),
  })
  .meta({ id: 'CreateAppBody' });

export const updateAppBodySchema = z
  .strictObject({
    name: nonBlankText(200).optional(),
    privacy: privacySchema.optional(),
    alert_url: alertUrlField.nullable().optional(),
    max_events_per_second: maxEventsPerSecondField.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one of name, privacy, alert_url, max_events_per_second')
  // The refine has no JSON Schema form of its own: minProperties says it.
  .meta({ id: 'UpdateAppBody', minProperties: 1 });

const privacySettingsSchema = z.object({
  share_user_email: z.boolean().describe('user_email is sent to webhooks (else null).'),
  share_user_name: z.boolean().describe('user_name is sent to webhooks (else null).'),
  share_messages: z.boolean().describe('last_message and response are sent to webhooks (else null).'),
});

export const appSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    privacy: privacySettingsSchema,
    api_key_prefix: z.string().nullable().describe('The first characters of the app key, to tell keys apart.'),
    alert_url: z.string().nullable().describe('Where "Webhook disabled" notifications go.'),
    max_events_per_second: z
      .number()
      .int()
      .nullable()
      .describe("The app's own event quota; null: the server's APP_MAX_EVENTS_PER_SECOND, or no limit."),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'App' });

export const appWithKeySchema = z
  .object({
    ...appSchema.shape,
    api_key: z.string().describe('The app key. Shown in this answer only: the service keeps its hash.'),
    warnings: warningsField,
  })
  .meta({ id: 'AppWithKey' });

const appUpdatedSchema = z.object({ ...appSchema.shape, warnings: warningsField }).meta({ id: 'AppUpdated' });

const appListSchema = listOf(appSchema).meta({ id: 'AppList' });

export function appJson(app: AppRow): z.input<typeof appSchema> {
  return {
    id: app.id,
    name: app.name,
    privacy: app.privacy,
    api_key_prefix: app.api_key_prefix,
    alert_url: app.alert_url,
    max_events_per_second: app.max_events_per_second,
    created_at: app.created_at.toISOString(),
    updated_at: app.updated_at.toISOString(),
  };
}

function newAppKey() {
  const key = generateApiKey('cwk_');
  return { key, hash: hashApiKey(key), prefix: apiKeyPrefix(key) };
}

/** alert_url gets the same checks as a webhook URL: it is called the same way. */
async function checkedAlertUrl(
  ctx: RouteContext,
  raw: string | null | undefined,
): Promise<{ alertUrl: string | null | undefined; warnings?: string[] }> {
  if (raw === undefined || raw === null) return { alertUrl: raw };
  const { url, warning } = await checkedUrl(ctx.deps.destination, 'alert_url', raw);
  return { alertUrl: url, ...(warning ? { warnings: [warning] } : {}) };
}

/** The links from an answer carrying an app to the operations on it. */
const appLinks = {
  GetApp: { operationId: 'getApp', parameters: { app_id: '$response.body#/id' } },
  UpdateApp: { operationId: 'updateApp', parameters: { app_id: '$response.body#/id' } },
  CreateWebhook: { operationId: 'createWebhook', parameters: { app_id: '$response.body#/id' } },
  ListWebhooks: { operationId: 'listWebhooks', parameters: { app_id: '$response.body#/id' } },
  PostEvent: { operationId: 'postEvent', parameters: { app_id: '$response.body#/id' } },
  ListDeliveries: { operationId: 'listDeliveries', parameters: { app_id: '$response.body#/id' } },
  TryCondition: { operationId: 'tryCondition', parameters: { app_id: '$response.body#/id' } },
  ListWebhookStats: { operationId: 'listWebhookStats', parameters: { app_id: '$response.body#/id' } },
  ListEventTypes: { operationId: 'listEventTypes', parameters: { app_id: '$response.body#/id' } },
  CheckUrl: { operationId: 'checkUrl', parameters: { app_id: '$response.body#/id' } },
  RotateAppKey: { operationId: 'rotateAppKey', parameters: { app_id: '$response.body#/id' } },
  DeleteApp: { operationId: 'deleteApp', parameters: { app_id: '$response.body#/id' } },
};

export const appRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/apps',
    operationId: 'createApp',
    tags: ['Apps'],
    summary: 'Create an app (admin key only)',
    description: 'Answers with the app and its key, `api_key`, which no later answer shows again.',
    access: 'admin',
    body: createAppBodySchema,
    responses: { 201: { description: 'The app, with its key.', schema: appWithKeySchema, links: appLinks } },
    errors: ['invalid_url'],
  }).handle(async ({ body }, ctx) => {
    const { alertUrl, warnings } = await checkedAlertUrl(ctx, body.alert_url);
    const key = newAppKey();
    const app = await insertApp(ctx.deps.db, {
      ...body,
      alertUrl: alertUrl ?? null,
      maxEventsPerSecond: body.max_events_per_second ?? null,
      apiKeyHash: key.hash,
      apiKeyPrefix: key.prefix,
    });
    // The only answer that carries the key unasked: the database keeps its hash.
    return { status: 201, body: { ...appJson(app), api_key: key.key, ...(warnings ? { warnings } : {}) } };
  }),

  defineRoute({
    method: 'get',
    path: '/v1/apps',
    operationId: 'listApps',
    tags: ['Apps'],
    summary: 'List apps',
    description: 'The admin key lists every app; an app key lists its own. Oldest first.',
    access: 'key',
    query: pageQuerySchema,
    responses: { 200: { description: 'A page of apps.', schema: appListSchema } },
  }).handle(async ({ query }, ctx) => {
    const onlyId = ctx.principal.kind === 'admin' ? undefined : ctx.principal.appId;
    return {
      status: 200,
      body: await page(
        query,
        (p) => listApps(ctx.deps.db, { ...p, onlyId }),
        (row) => appJson(row),
      ),
    };
  }),

  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}',
    operationId: 'getApp',
    tags: ['Apps'],
    summary: 'Get an app',
    access: 'key',
    params: appParams,
    responses: { 200: { description: 'The app.', schema: appSchema } },
  }).handle((_input, ctx) => ({ status: 200, body: appJson(ctx.app) })),

  defineRoute({
    method: 'patch',
    path: '/v1/apps/{app_id}',
    operationId: 'updateApp',
    tags: ['Apps'],
    summary: 'Change an app',
    description:
      'Send `name`, `privacy`, `alert_url`, `max_events_per_second` or several. Privacy fields not sent keep their ' +
      "value. `max_events_per_second` is the operator's to set: only the admin key may send it (403 `forbidden`).",
    access: 'key',
    params: appParams,
    body: updateAppBodySchema,
    responses: { 200: { description: 'The changed app.', schema: appUpdatedSchema } },
    errors: ['invalid_url'],
  }).handle(async ({ body }, ctx) => {
    // A quota protects the other apps: the app's own key (or its portal) may not lift it.
    if (body.max_events_per_second !== undefined && ctx.principal.kind !== 'admin') {
      throw new ApiError('forbidden', 'Only the admin key can change max_events_per_second');
    }
    const { alertUrl, warnings } = await checkedAlertUrl(ctx, body.alert_url);
    const app = await updateApp(ctx.deps.db, ctx.app.id, {
      name: body.name,
      privacy: body.privacy,
      ...(alertUrl !== undefined ? { alertUrl } : {}),
      ...(body.max_events_per_second !== undefined ? { maxEventsPerSecond: body.max_events_per_second } : {}),
    });
    // Deleted since scopeToApp read it: as gone as an unknown app.
    if (!app) throw notFound(`App ${ctx.app.id}`);
    return { status: 200, body: { ...appJson(app), ...(warnings ? { warnings } : {}) } };
  }),

  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/rotate-key',
    operationId: 'rotateAppKey',
    tags: ['Apps'],
    summary: "Replace an app's key",
    description: 'The old key stops working at once. Answers with the app and its new key.',
    access: 'key',
    portal: 'none',
    params: appParams,
    responses: { 200: { description: 'The app, with its new key.', schema: appWithKeySchema } },
  }).handle(async (_input, ctx) => {
    const key = newAppKey();
    const app = await replaceAppKey(ctx.deps.db, ctx.app.id, key.hash, key.prefix);
    if (!app) throw notFound(`App ${ctx.app.id}`);
    return { status: 200, body: { ...appJson(app), api_key: key.key } };
  }),

  defineRoute({
    method: 'delete',
    path: '/v1/apps/{app_id}',
    operationId: 'deleteApp',
    tags: ['Apps'],
    summary: 'Delete an app',
    description:
      'Deletes the app, its webhooks and its conversation transcripts, and ends their waiting retries. The delivery ' +
      'log is kept.',
    access: 'key',
    portal: 'none',
    params: appParams,
    responses: { 204: { description: 'Deleted.' } },
  }).handle(async (_input, ctx) => {
    const appId = ctx.app.id;
    const webhookIds = await listWebhookIds(ctx.deps.db, appId);
    await deleteApp(ctx.deps.db, appId);
    await notifyWebhooksChanged(ctx.deps, appId, webhookIds);
    return { status: 204 };
  }),
];
