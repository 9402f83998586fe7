/** /v1/apps: apps and their keys. */
import { type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

import { pageQuerySchema } from '../../pagination';
import { appParams, body, type Components, json } from '../components';

export function registerAppPaths(registry: OpenAPIRegistry, { schemas, errors }: Components): void {
  const { App, AppWithKey, AppList, CreateAppBody, UpdateAppBody } = schemas;

  registry.registerPath({
    method: 'post',
    path: '/v1/apps',
    operationId: 'createApp',
    tags: ['Apps'],
    summary: 'Create an app (admin key only)',
    description: 'Answers with the app and its key, `api_key`, which no later answer shows again.',
    request: { body: body(CreateAppBody) },
    responses: { 201: json(AppWithKey, 'The app, with its key.'), ...errors(400, 401, 403, 413, 415) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/apps',
    operationId: 'listApps',
    tags: ['Apps'],
    summary: 'List apps',
    description: 'The admin key lists every app; an app key lists its own. Oldest first.',
    request: { query: pageQuerySchema },
    responses: { 200: json(AppList, 'A page of apps.'), ...errors(400, 401) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/apps/{app_id}',
    operationId: 'getApp',
    tags: ['Apps'],
    summary: 'Get an app',
    request: { params: appParams },
    responses: { 200: json(App, 'The app.'), ...errors(401, 404) },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/apps/{app_id}',
    operationId: 'updateApp',
    tags: ['Apps'],
    summary: 'Change an app',
    description: 'Send `name`, `privacy` or both. Privacy fields not sent keep their value.',
    request: { params: appParams, body: body(UpdateAppBody) },
    responses: { 200: json(App, 'The changed app.'), ...errors(400, 401, 404, 413, 415) },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/apps/{app_id}',
    operationId: 'deleteApp',
    tags: ['Apps'],
    summary: 'Delete an app',
    description: 'Deletes the app and its webhooks and ends their waiting retries. The delivery log is kept.',
    request: { params: appParams },
    responses: { 204: { description: 'Deleted.' }, ...errors(401, 404) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/apps/{app_id}/rotate-key',
    operationId: 'rotateAppKey',
    tags: ['Apps'],
    summary: "Replace an app's key",
    description: 'The old key stops working at once. Answers with the app and its new key.',
    request: { params: appParams },
    responses: { 200: json(AppWithKey, 'The app, with its new key.'), ...errors(401, 404) },
  });
}
