/** /v1/apps/{app_id}/webhooks: webhooks, their signing secrets, test sends and endpoint stats. */
import { type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

import { pageQuerySchema } from '../../pagination';
import { webhookStatsQuerySchema } from '../../routes/webhook-stats';
import { appParams, body, type Components, json, webhookParams } from '../components';

export function registerWebhookPaths(registry: OpenAPIRegistry, { schemas, errors }: Components): void {
  const {
    Webhook,
    WebhookWithSecret,
    WebhookList,
    WebhookUpdated,
    WebhookSecret,
    RotatedSecret,
    TestSendResult,
    WebhookStats,
    CreateWebhookBody,
    UpdateWebhookBody,
  } = schemas;

  registry.registerPath({
    method: 'post',
    path: '/v1/apps/{app_id}/webhooks',
    operationId: 'createWebhook',
    tags: ['Webhooks'],
    summary: 'Create a webhook',
    description:
      '`conditions` are required with the `custom_condition` event and refused without it; `events` must not repeat. ' +
      'The URL must be https (http only where the service allows it) and must not point at a private address. ' +
      'Answers with the webhook and its signing `secret`.',
    request: { params: appParams, body: body(CreateWebhookBody) },
    responses: {
      201: json(WebhookWithSecret, 'The webhook, with its signing secret.'),
      ...errors(400, 401, 404, 413, 415),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks',
    operationId: 'listWebhooks',
    tags: ['Webhooks'],
    summary: "List an app's webhooks",
    request: { params: appParams, query: pageQuerySchema },
    responses: {
      200: json(WebhookList, 'A page of webhooks, oldest first; never their secrets.'),
      ...errors(400, 401, 404),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}',
    operationId: 'getWebhook',
    tags: ['Webhooks'],
    summary: 'Get a webhook',
    request: { params: webhookParams },
    responses: { 200: json(Webhook, 'The webhook, without its secret.'), ...errors(401, 404) },
  });
  registry.registerPath({
    method: 'patch',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}',
    operationId: 'updateWebhook',
    tags: ['Webhooks'],
    summary: 'Change a webhook',
    description:
      'Send at least one field. Conditions are kept unless replaced, and dropped when `custom_condition` is. ' +
      'Disabling a webhook ends its waiting retries.',
    request: { params: webhookParams, body: body(UpdateWebhookBody) },
    responses: { 200: json(WebhookUpdated, 'The changed webhook.'), ...errors(400, 401, 404, 413, 415) },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}',
    operationId: 'deleteWebhook',
    tags: ['Webhooks'],
    summary: 'Delete a webhook',
    description: 'Ends its waiting retries; its deliveries stay in the log.',
    request: { params: webhookParams },
    responses: { 204: { description: 'Deleted.' }, ...errors(401, 404) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/secret',
    operationId: 'getWebhookSecret',
    tags: ['Webhooks'],
    summary: "Get a webhook's signing secret",
    request: { params: webhookParams },
    responses: {
      200: json(WebhookSecret, 'The secret, and the previous one while it still signs.'),
      ...errors(401, 404),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/rotate-secret',
    operationId: 'rotateWebhookSecret',
    tags: ['Webhooks'],
    summary: "Replace a webhook's signing secret",
    description: 'The previous secret keeps signing, alongside the new one, until previous_secret_expires_at.',
    request: { params: webhookParams },
    responses: { 200: json(RotatedSecret, 'The new secret.'), ...errors(401, 404) },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/test',
    operationId: 'testWebhook',
    tags: ['Webhooks'],
    summary: 'Send a sample event to a webhook',
    description:
      'Sends a sample payload of the webhook\'s first event type, marked `"test": true`, and waits a while for ' +
      'the outcome: 200 when the attempt ended, 202 (`status: pending`) when it did not end in time.',
    request: { params: webhookParams },
    responses: {
      200: json(TestSendResult, 'The attempt ended: succeeded or failed.'),
      202: json(TestSendResult, 'The attempt had not ended in time: status is pending.'),
      ...errors(401, 404, 503),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/stats',
    operationId: 'getWebhookStats',
    tags: ['Webhooks'],
    summary: "How a webhook's endpoint has been answering",
    description:
      'Attempts, success rate (2xx) and response-time percentiles over `window`; consecutive failures since the ' +
      'last success, the last error and the last success over all time. A deleted webhook has no stats (404).',
    request: { params: webhookParams, query: webhookStatsQuerySchema },
    responses: { 200: json(WebhookStats, 'The statistics.'), ...errors(400, 401, 404) },
  });
}
