/** /v1/apps/{app_id}/rest-hooks: an automation platform's REST Hook subscribe, made into a webhook. */
import { webhookParams } from '../fields';
import { defineRoute } from '../route';
import { restHookBodySchema, webhookWithSecretSchema } from './webhook-schemas';
import { createWebhook, webhookLinks } from './webhooks';

export const restHookRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/rest-hooks',
    operationId: 'subscribeRestHook',
    tags: ['Webhooks'],
    summary: 'Subscribe a REST Hook (Zapier, Make)',
    description:
      'An automation platform\u2019s subscribe call: makes a webhook for `target_url` and one event type, and answers ' +
      'it with its `id`, which the platform keeps for unsubscribing with DELETE /v1/apps/{app_id}/webhooks/{id}. ' +
      'Such a webhook (created_via: rest_hook) is deleted, not disabled, when its URL answers 410, as Zapier does ' +
      'once the Zap is off.',
    access: 'key',
    params: webhookParams.pick({ app_id: true }),
    body: restHookBodySchema,
    responses: {
      201: {
        description: 'The webhook, with its signing secret.',
        schema: webhookWithSecretSchema,
        links: webhookLinks,
      },
    },
    errors: ['invalid_url', 'duplicate_condition_id', 'invalid_filter'],
  }).handle(async ({ body }, ctx) =>
    createWebhook(ctx, 'target_url', {
      url: body.target_url,
      description: `REST Hook subscription (${body.event})`,
      events: [body.event],
      conditions: body.conditions,
      enabled: true,
      retryScheduleMs: null,
      timeoutMs: null,
      filter: body.filter ?? null,
      format: body.format,
      createdVia: 'rest_hook',
    }),
  ),
];
