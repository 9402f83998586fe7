/**
 * The delivery log and sending again: listing and reading deliveries, replaying one, and recovering every failed or
 * skipped delivery of a webhook in a window. All tagged Deliveries.
 */
import { type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

import { identifier } from '../../../domain/event-body';
import { deliveryListQuerySchema } from '../../routes/deliveries';
import { appParams, body, type Components, json, webhookParams } from '../components';

export function registerDeliveryPaths(registry: OpenAPIRegistry, { schemas, errors }: Components): void {
  const { DeliveryList, DeliveryDetail, ReplayResult, RecoverBody, RecoveryStarted, RecoveryProgress } = schemas;

  registry.registerPath({
    method: 'get',
    path: '/v1/apps/{app_id}/deliveries',
    operationId: 'listDeliveries',
    tags: ['Deliveries'],
    summary: "List an app's deliveries",
    description:
      'Newest first, filtered by any of `webhook_id`, `status`, `event_type`, `conversation_id` and a `since` ' +
      '(inclusive) / `until` (exclusive) range on the creation time. The payload is left out: get the delivery for it.',
    request: { params: appParams, query: deliveryListQuerySchema },
    responses: { 200: json(DeliveryList, 'A page of deliveries, newest first.'), ...errors(400, 401, 404) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/apps/{app_id}/deliveries/{delivery_id}',
    operationId: 'getDelivery',
    tags: ['Deliveries'],
    summary: 'Get a delivery, its payload and every attempt',
    request: {
      params: appParams.extend({
        delivery_id: z.string().describe('The delivery id (msg_...), the webhook-id header.'),
      }),
    },
    responses: { 200: json(DeliveryDetail, 'The delivery.'), ...errors(401, 404) },
  });

  registry.registerPath({
    method: 'post',
    path: '/v1/apps/{app_id}/deliveries/{delivery_id}/replay',
    operationId: 'replayDelivery',
    tags: ['Deliveries'],
    summary: 'Send a delivery again',
    description:
      "Sends the stored payload again with the same webhook-id, a fresh timestamp and signature, to the webhook's " +
      'current URL and secret; works for failed, skipped and succeeded deliveries, and appends attempts to the same ' +
      'delivery. With an Idempotency-Key, repeating the request finds the same replay (200, status duplicate).',
    request: {
      params: appParams.extend({ delivery_id: z.string() }),
      headers: z.object({ 'Idempotency-Key': identifier(200).optional() }),
    },
    responses: {
      202: json(ReplayResult, 'The replay started.'),
      200: json(ReplayResult, 'This Idempotency-Key already started it.'),
      ...errors(400, 401, 404, 409),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/deliveries/{delivery_id}',
    operationId: 'findDeliveryApp',
    tags: ['Deliveries'],
    summary: 'Which app a delivery belongs to (admin key)',
    request: { params: z.object({ delivery_id: z.string() }) },
    responses: {
      200: json(z.object({ id: z.string(), app_id: z.string() }), "The delivery's app."),
      ...errors(401, 403, 404),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/recover',
    operationId: 'recoverWebhook',
    tags: ['Deliveries'],
    summary: 'Send again every failed or skipped delivery of a webhook in a window',
    description:
      'Runs as its own workflow, a few deliveries at a time, each with three attempts (now, 5 s, 30 s). The window is at ' +
      'most 14 days; since and until are ISO 8601 or a duration ago such as "2h".',
    request: { params: webhookParams, body: body(RecoverBody) },
    responses: { 202: json(RecoveryStarted, 'The recovery started.'), ...errors(400, 401, 404, 415) },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/recoveries/{recovery_id}',
    operationId: 'getRecovery',
    tags: ['Deliveries'],
    summary: 'Progress of a recovery',
    request: { params: webhookParams.extend({ recovery_id: z.string() }) },
    responses: { 200: json(RecoveryProgress, 'Counts so far.'), ...errors(401, 404) },
  });
}
