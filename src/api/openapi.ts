/**
 * The API's OpenAPI 3.1 document, generated from the same zod schemas the routes parse with, and a browsable
 * reference. `createDocsRouter()` serves `GET /openapi.json` and the Swagger UI at `/docs`, without a key: mount it
 * before the `/v1` router. Swagger UI's files come from the swagger-ui-dist package, so the page works offline.
 *
 * Request bodies are the routes' own exported schemas, documented as their input shape (a field with `.default()` is
 * optional; `.refine()` rules are not expressible and stay in the prose). Response shapes are written here: the unit
 * test checks them against `appJson`/`webhookJson` and checks that every route the app registers is documented.
 */
import fs from 'node:fs';
import path from 'node:path';

import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express from 'express';
import { z } from 'zod';

import { chatEventBodySchema, identifier } from '../domain/event-body';
import { CHAT_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from '../domain/events';
import { VERSION } from '../version';
import { pageQuerySchema } from './pagination';
import { createAppBodySchema, updateAppBodySchema } from './routes/apps';
import { tryConditionBodySchema, tryConditionResultSchema } from './routes/conditions';
import {
  deliveryAttemptSchema,
  deliveryDetailSchema,
  deliveryListQuerySchema,
  deliverySummarySchema,
  replayResultSchema,
} from './routes/deliveries';
import { evaluationSchema } from './routes/evaluations';
import { webhookStatsQuerySchema, webhookStatsSchema } from './routes/webhook-stats';
import {
  createWebhookBodySchema,
  recoverBodySchema,
  recoveryProgressSchema,
  recoveryStartedSchema,
  updateWebhookBodySchema,
} from './routes/webhooks';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

// ---------------------------------------------------------------------------------------------------------------
// Response shapes. These mirror what the routes send; test/unit/openapi.test.ts holds them to appJson/webhookJson.
// ---------------------------------------------------------------------------------------------------------------

const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601, UTC.');

export const privacySettingsSchema = z.object({
  share_user_email: z.boolean().describe('user_email is sent to webhooks (else null).'),
  share_user_name: z.boolean().describe('user_name is sent to webhooks (else null).'),
  share_messages: z.boolean().describe('last_message and response are sent to webhooks (else null).'),
});

export const appSchema = z.object({
  id: z.string(),
  name: z.string(),
  privacy: privacySettingsSchema,
  api_key_prefix: z.string().nullable().describe('The first characters of the app key, to tell keys apart.'),
  alert_url: z.string().nullable().describe('Where "Webhook disabled" notifications go.'),
  created_at: timestamp,
  updated_at: timestamp,
});

export const appWithKeySchema = z.object({
  ...appSchema.shape,
  api_key: z.string().describe('The app key. Shown in this answer only: the service keeps its hash.'),
});

export const conditionSchema = z.object({
  id: z.string(),
  prompt: z.string(),
  fire: z.enum(['once_per_conversation', 'every_match']),
});

export const webhookSchema = z.object({
  id: z.string(),
  app_id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  conditions: z.array(conditionSchema).describe('Empty unless events has custom_condition.'),
  enabled: z.boolean(),
  disabled_reason: z
    .string()
    .nullable()
    .describe('Why it is off: "disabled by user", "gone" (the receiver answered 410) or "failing".'),
  disabled_at: timestamp.nullable(),
  failing_since: timestamp.nullable().describe('Start of the current run of failed attempts; null after any success.'),
  retry_schedule: z.string().nullable().describe("This webhook's delays between attempts; null: RETRY_SCHEDULE."),
  timeout_ms: z.int().nullable().describe("This webhook's attempt timeout; null: DELIVERY_TIMEOUT_MS."),
  created_at: timestamp,
  updated_at: timestamp,
});

const warningsField = z
  .array(z.string())
  .optional()
  .describe('Present when the webhook is saved but cannot work as configured, e.g. conditions without an LLM.');

export const webhookWithSecretSchema = z.object({
  ...webhookSchema.shape,
  secret: z.string().describe('The signing secret (Standard Webhooks, whsec_...), returned once here.'),
  warnings: warningsField,
});

export const webhookUpdatedSchema = z.object({ ...webhookSchema.shape, warnings: warningsField });

export const webhookSecretSchema = z.object({
  secret: z.string(),
  previous_secret: z.string().nullable().describe('Still signs alongside secret until previous_secret_expires_at.'),
  previous_secret_expires_at: timestamp.nullable(),
});

export const rotatedSecretSchema = z.object({
  secret: z.string().describe('The new signing secret.'),
  previous_secret_expires_at: timestamp.describe('Until then deliveries carry signatures by both secrets.'),
});

export const testSendResultSchema = z.object({
  delivery_id: z.string().nullable(),
  workflow_id: z.string(),
  status: z
    .enum(['succeeded', 'failed', 'pending'])
    .describe('pending (with 202) when the attempt did not end in time.'),
  attempt: z
    .object({
      status_code: z.int().nullable(),
      duration_ms: z.number(),
      response_excerpt: z.string().nullable(),
      error: z.string().nullable(),
    })
    .nullable(),
});

export const eventAcceptedSchema = z.object({
  event_id: z.string(),
  workflow_id: z.string(),
  status: z.enum(['accepted', 'duplicate']),
});

export const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable code, e.g. validation_failed, unauthorized, not_found.'),
    message: z.string(),
    details: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('For a 400: one entry per bad field.'),
  }),
});

export const healthSchema = z.object({ status: z.literal('ok') });

export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({ postgres: z.enum(['up', 'down']), temporal: z.enum(['up', 'down']) }),
});

const listOf = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page.'),
  });

// ---------------------------------------------------------------------------------------------------------------
// The document.
// ---------------------------------------------------------------------------------------------------------------

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request: bad JSON, or a field that breaks a rule (details names each).',
  401: 'No key, or a key the service does not know.',
  403: 'Only the admin key can do this.',
  404: 'No such app, webhook or delivery, or the key does not reach it.',
  409: "The request conflicts with the resource's state (e.g. its webhook is disabled or deleted).",
  413: 'The body is larger than 256 KB.',
  415: 'The body is not application/json, or its encoding is not supported.',
  502: 'The LLM refused the request or answered unusably.',
  503: 'A service this needs (the workflow engine, the LLM) is unreachable or not configured; nothing was done.',
};

function buildDocument(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'The admin key (reaches every app) or an app key (cwk_..., reaches its own app).',
  });

  // A schema named with zod's `.meta({ id })` becomes a component that the document references. `.meta` makes a copy
  // and files it in zod's global registry, where an id may be used once: the copies are taken out again at the end.
  const namedCopies: z.ZodType[] = [];
  const named = <T extends z.ZodType>(id: string, schema: T, extra: Record<string, unknown> = {}): T => {
    const copy = schema.meta({ ...extra, id }) as T;
    namedCopies.push(copy);
    return copy;
  };

  const App = named('App', appSchema);
  const AppWithKey = named('AppWithKey', appWithKeySchema);
  const AppList = named('AppList', listOf(App));
  const Webhook = named('Webhook', webhookSchema);
  const WebhookWithSecret = named('WebhookWithSecret', webhookWithSecretSchema);
  const WebhookList = named('WebhookList', listOf(Webhook));
  const WebhookUpdated = named('WebhookUpdated', webhookUpdatedSchema);
  const TryConditionBody = named('TryConditionBody', tryConditionBodySchema);
  const TryConditionResult = named('TryConditionResult', tryConditionResultSchema);
  const Evaluation = named('Evaluation', evaluationSchema);
  const ReplayResult = named('ReplayResult', replayResultSchema);
  const RecoverBody = named('RecoverBody', recoverBodySchema);
  const RecoveryStarted = named('RecoveryStarted', recoveryStartedSchema);
  const RecoveryProgress = named('RecoveryProgress', recoveryProgressSchema);
  const WebhookSecret = named('WebhookSecret', webhookSecretSchema);
  const RotatedSecret = named('RotatedSecret', rotatedSecretSchema);
  const TestSendResult = named('TestSendResult', testSendResultSchema);
  const EventAccepted = named('EventAccepted', eventAcceptedSchema);
  const ErrorBody = named('Error', errorSchema);
  const Health = named('Health', healthSchema);
  const Readiness = named('Readiness', readinessSchema);
  const DeliveryAttempt = named('DeliveryAttempt', deliveryAttemptSchema);
  const DeliverySummary = named('DeliverySummary', deliverySummarySchema);
  const DeliveryList = named('DeliveryList', listOf(DeliverySummary));
  const DeliveryDetail = named('DeliveryDetail', deliveryDetailSchema.extend({ attempts: z.array(DeliveryAttempt) }));
  const WebhookStats = named('WebhookStats', webhookStatsSchema);

  // The routes' own request schemas. Naming one makes a copy; the routes' originals are untouched.
  const CreateAppBody = named('CreateAppBody', createAppBodySchema);
  // The update bodies' `.refine` (send at least one field) has no JSON Schema form of its own: minProperties says it.
  const UpdateAppBody = named('UpdateAppBody', updateAppBodySchema, { minProperties: 1 });
  const CreateWebhookBody = named('CreateWebhookBody', createWebhookBodySchema);
  const UpdateWebhookBody = named('UpdateWebhookBody', updateWebhookBodySchema, { minProperties: 1 });
  const ChatEventBody = named('ChatEventBody', chatEventBodySchema);

  const appParams = z.object({ app_id: z.string().describe('The app id (app_...).') });
  const webhookParams = appParams.extend({ webhook_id: z.string().describe('The webhook id (wh_...).') });

  const json = (schema: z.ZodType, description: string) => ({
    description,
    content: { 'application/json': { schema } },
  });
  const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema } } });
  const errors = (...codes: number[]) =>
    Object.fromEntries(
      codes.map((code) => [
        code,
        {
          ...json(ErrorBody, ERROR_TEXT[code] ?? 'Error.'),
          ...(code === 503 ? { headers: z.object({ 'Retry-After': z.string().describe('Seconds to wait: 5.') }) } : {}),
        },
      ]),
    );

  // --- Apps ---
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

  // --- Webhooks ---
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

  // --- Delivery log ---
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
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tags: ['Health'],
    summary: 'Prometheus metrics of this process',
    security: [],
    responses: { 200: { description: 'Prometheus text format.', content: { 'text/plain': { schema: z.string() } } } },
  });

  // --- Conditions ---
  registry.registerPath({
    method: 'post',
    path: '/v1/apps/{app_id}/conditions/try',
    operationId: 'tryCondition',
    tags: ['Conditions'],
    summary: 'Try a condition prompt against a transcript',
    description:
      'Judges one condition with the same LLM prompt and schema as real evaluations. Nothing is stored and nothing ' +
      'fires. 503 when no LLM is configured or it is unavailable; 502 when it refuses or answers unusably.',
    request: { params: appParams, body: body(TryConditionBody) },
    responses: {
      200: json(TryConditionResult, 'The verdict.'),
      ...errors(400, 401, 404, 415, 502, 503),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/apps/{app_id}/evaluations/{event_id}',
    operationId: 'getEvaluation',
    tags: ['Conditions'],
    summary: "How an event's custom conditions were judged",
    description:
      'Outcome (evaluated, failed or skipped, with the reason), each verdict, the model, tokens and latency.',
    request: { params: appParams.extend({ event_id: z.string().describe('The event id the backend sent.') }) },
    responses: { 200: json(Evaluation, 'The evaluation.'), ...errors(401, 404) },
  });

  // --- Events ---
  registry.registerPath({
    method: 'post',
    path: '/v1/apps/{app_id}/events',
    operationId: 'postEvent',
    tags: ['Events'],
    summary: 'Post a chat event',
    description:
      'Starts delivery to every enabled webhook of the app that subscribes to the event. The event id comes from ' +
      '`id` or the `Idempotency-Key` header (one is required; if both are sent they must match). ' +
      '`conversation_id` is required for message_sent and conversation_end. A repeated id is answered 200 ' +
      '`duplicate` and delivers nothing again.',
    request: {
      params: appParams,
      headers: z.object({
        'Idempotency-Key': identifier(200).optional().describe('The event id, if the body does not carry `id`.'),
      }),
      body: body(ChatEventBody),
    },
    responses: {
      200: json(EventAccepted, 'Seen before (status: duplicate): nothing is delivered again.'),
      202: json(EventAccepted, 'Accepted (status: accepted): delivery has started.'),
      ...errors(400, 401, 404, 413, 415, 503),
    },
  });

  // --- Health ---
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'healthz',
    tags: ['Health'],
    summary: 'Liveness',
    security: [],
    responses: { 200: json(Health, 'The process answers.') },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    tags: ['Health'],
    summary: 'Readiness',
    description: 'Postgres and Temporal both answer within 2 s.',
    security: [],
    responses: { 200: json(Readiness, 'Ready.'), 503: json(Readiness, 'Postgres or Temporal is down.') },
  });

  try {
    return generate(registry, bearer.name);
  } finally {
    for (const copy of namedCopies) z.globalRegistry.remove(copy);
  }
}

function generate(registry: OpenAPIRegistry, securityScheme: string): OpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'chat-webhooks',
      version: VERSION,
      description:
        'Durable webhook delivery for AI chat apps. Every `/v1` route needs `Authorization: Bearer <key>`. ' +
        'Errors answer `{ "error": { "code", "message", "details"? } }`. Chat event types: ' +
        `${CHAT_EVENT_TYPES.join(', ')}.`,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    security: [{ [securityScheme]: [] }],
    tags: [
      { name: 'Apps', description: 'Apps and their keys.' },
      { name: 'Webhooks', description: 'Where events of an app are delivered.' },
      { name: 'Events', description: 'Chat events posted by the platform backend.' },
      { name: 'Deliveries', description: 'The delivery log: what was sent where, and what each attempt got back.' },
      { name: 'Health', description: 'Probes; no key needed.' },
    ],
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

let cached: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document, built once and frozen. */
export function buildOpenApiDocument(): OpenApiDocument {
  cached ??= deepFreeze(buildDocument());
  return cached;
}

// ---------------------------------------------------------------------------------------------------------------
// Serving.
// ---------------------------------------------------------------------------------------------------------------

/** The swagger-ui-dist files the page loads; nothing else of that package is served. */
const SWAGGER_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

function swaggerUiDir(): string {
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

function docsPage(rawBase: string): string {
  const base = escapeHtml(rawBase);
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>chat-webhooks API ${escapeHtml(VERSION)}</title>
  <link rel="stylesheet" href="${base}/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="${base}/docs/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="${base}/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${base}/docs/swagger-ui-bundle.js"></script>
  <script src="${base}/docs/swagger-initializer.js"></script>
</body>
</html>
`;
}

function initializer(base: string): string {
  // validatorUrl: null keeps the page from calling the public swagger.io validator.
  return `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(`${base}/openapi.json`)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
};
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * `GET /openapi.json` and the reference at `GET /docs`, both without a key. Mount at the root (or under a prefix:
 * the page's links follow the mount point) before the `/v1` router.
 */
export function createDocsRouter(): express.Router {
  const document = buildOpenApiDocument();
  const assetsDir = swaggerUiDir();
  for (const file of Object.keys(SWAGGER_ASSETS)) {
    if (!fs.existsSync(path.join(assetsDir, file))) throw new Error(`swagger-ui-dist is missing ${file}`);
  }

  const router = express.Router({ strict: false });

  router.get('/openapi.json', (_req, res) => {
    res.set('cache-control', 'no-cache').json(document);
  });

  router.get('/docs', (req, res) => {
    res.set('cache-control', 'no-cache').type('html').send(docsPage(req.baseUrl));
  });

  router.get('/docs/swagger-initializer.js', (req, res) => {
    res.set('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(initializer(req.baseUrl));
  });

  router.get('/docs/:file', (req, res, next) => {
    const file = req.params.file;
    const type = Object.hasOwn(SWAGGER_ASSETS, file) ? SWAGGER_ASSETS[file] : undefined;
    if (!type) return next();
    res.type(type).sendFile(file, { root: assetsDir, maxAge: '1d', dotfiles: 'deny' }, (error) => {
      if (error && !res.headersSent) next(error);
    });
  });

  return router;
}
