/** /v1/apps/{app_id}/webhooks: webhooks, their signing secrets, test sends, and recovering their failed deliveries. */
import crypto from 'node:crypto';

import { z } from 'zod';

import {
  deleteWebhook,
  findWebhook,
  insertWebhook,
  listWebhooks,
  rotateWebhookSecret,
  updateWebhook,
  type WebhookRow,
} from '../../db/queries/webhooks';
import type { WebhookCondition } from '../../domain/conditions';
import { formatDuration, parseDuration, parseRetrySchedule } from '../../domain/durations';
import { identifier, nonBlankText, text } from '../../domain/event-body';
import { WEBHOOK_EVENT_TYPES } from '../../domain/events';
import { generateWebhookSecret } from '../../security/secret-box';
import { recoveryProgressOf, startRecovery } from '../../services/replay';
import { notifyWebhooksChanged, sendTest } from '../../services/webhooks';
import { isPlausibleId } from '../body';
import { ApiError, invalidField, notFound } from '../errors';
import {
  checkedUrl,
  destinationUrlField,
  durationAlternatives,
  durationField,
  timestamp,
  warningsField,
  webhookParams,
} from '../fields';
import { listOf, page, pageQuerySchema } from '../pagination';
import { defineRoute, type RouteContext } from '../route';

export const conditionInputSchema = z.strictObject({
  id: identifier(64).optional().describe('Stable id of the condition; generated when omitted.'),
  prompt: nonBlankText(1000).describe('When to fire, in plain language: "When a user asks about pricing".'),
  fire: z
    .enum(['once_per_conversation', 'every_match'])
    .default('once_per_conversation')
    .describe('Fire at most once per conversation (default), or at every match.'),
});

const eventsSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1, 'choose at least one event')
  .refine((events) => new Set(events).size === events.length, 'events must not repeat')
  .meta({ uniqueItems: true });

/** A moment: ISO 8601 with an offset, or a duration back from now such as `2h` or `3d`. */
const instantOrAgo = z.union([
  z.iso.datetime({ offset: true }),
  // Up to ten years back: far enough for any window the delivery log holds, and a moment a Date can hold.
  durationField({ minMs: 1, maxMs: 3650 * 86_400_000 }, 'an ISO 8601 time or a whole duration ago such as 2h'),
]);

function toInstant(value: string, nowMs: number): Date {
  const ago = parseDuration(value);
  return typeof ago === 'number' ? new Date(nowMs - ago) : new Date(value);
}

export const recoverBodySchema = z
  .strictObject({
    since: instantOrAgo.describe('Start of the window: ISO 8601, or a duration ago such as "2h".'),
    until: instantOrAgo
      .optional()
      .describe('End of the window (default now). It must be after since, and at most 14 days after it.'),
  })
  .meta({ id: 'RecoverBody' });

export const recoveryStartedSchema = z
  .object({
    recovery_id: z.string(),
    workflow_id: z.string(),
    since: timestamp.describe('The start of the window taken: 14 days before until at most.'),
    until: timestamp,
    warnings: warningsField,
  })
  .meta({ id: 'RecoveryStarted' });

export const recoveryProgressSchema = z
  .object({
    recovery_id: z.string(),
    webhook_id: z.string(),
    total: z.int().describe('Failed and skipped deliveries in the window when the recovery started.'),
    sent: z.int(),
    succeeded: z.int(),
    failed: z.int(),
    done: z.boolean(),
  })
  .meta({ id: 'RecoveryProgress' });

/**
 * Per-webhook delivery settings: a retry schedule (up to 30 whole durations between 1s and 24h, comma-separated, as
 * RETRY_SCHEDULE is written; "" for no retries), and the attempt timeout. The pattern says all of it.
 */
const RETRY_DELAY = durationAlternatives({ minMs: 1_000, maxMs: 86_400_000 });
const retryScheduleField = z
  .string()
  .max(500)
  .regex(
    new RegExp(`^(?:(?:${RETRY_DELAY})(?: *, *(?:${RETRY_DELAY})){0,29})?$`),
    'up to 30 delays between 1s and 24h, comma-separated, such as 5s,5m,30m',
  )
  .transform((text) => parseRetrySchedule(text) as number[])
  .describe('Delays between attempts, e.g. "5s,5m,30m"; replaces RETRY_SCHEDULE for this webhook. null: the default.');
const timeoutField = z
  .int()
  .min(1_000)
  .max(30_000)
  .describe('Attempt timeout in ms (1000-30000); null: DELIVERY_TIMEOUT_MS.');

const webhookUrlField = destinationUrlField.describe(
  'Where to POST: an absolute https URL (http only when the service sets ALLOW_HTTP_WEBHOOKS). It must not be, or ' +
    'resolve to, a private or reserved address.',
);

/**
 * `conditions` go with the custom_condition event, and only with it. JSON Schema says so with if/then/else, so that a
 * client generating requests from the document does not send what is refused.
 */
const conditionsRule = {
  if: { properties: { events: { contains: { const: 'custom_condition' } } }, required: ['events'] },
  then: { required: ['conditions'], properties: { conditions: { minItems: 1 } } },
  else: { properties: { conditions: { maxItems: 0 } } },
};

/** The body's side of the rule that conditions go with custom_condition, and only with it. */
function checkConditionsRule(events: readonly string[], conditions: unknown[] | undefined, ctx: z.RefinementCtx): void {
  const wants = events.includes('custom_condition');
  if (wants && (!conditions || conditions.length === 0)) {
    ctx.addIssue({
      code: 'custom',
      path: ['conditions'],
      message: 'at least one condition is required with custom_condition',
    });
  } else if (!wants && conditions && conditions.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['conditions'], message: 'conditions need the custom_condition event' });
  }
}

/** In a change that sends both events and conditions, they must agree as they do on create. */
const updateConditionsRules = [
  {
    if: { required: ['events', 'conditions'], properties: { events: { contains: { const: 'custom_condition' } } } },
    then: { properties: { conditions: { minItems: 1 } } },
  },
  {
    if: { required: ['events'], properties: { events: { not: { contains: { const: 'custom_condition' } } } } },
    then: { properties: { conditions: { maxItems: 0 } } },
  },
];

export const createWebhookBodySchema = z
  .strictObject({
    url: webhookUrlField,
    description: text(500).optional(),
    events: eventsSchema,
    conditions: z
      .array(conditionInputSchema)
      .max(20)
      .optional()
      .describe('Required with custom_condition, refused otherwise.'),
    enabled: z.boolean().default(true),
    retry_schedule: retryScheduleField.nullable().optional(),
    timeout_ms: timeoutField.nullable().optional(),
  })
  .superRefine((body, ctx) => checkConditionsRule(body.events, body.conditions, ctx))
  .meta({ id: 'CreateWebhookBody', ...conditionsRule });

export const updateWebhookBodySchema = z
  .strictObject({
    url: webhookUrlField.optional(),
    description: text(500).nullable().optional(),
    events: eventsSchema.optional(),
    conditions: z.array(conditionInputSchema).max(20).optional(),
    enabled: z.boolean().optional(),
    retry_schedule: retryScheduleField.nullable().optional(),
    timeout_ms: timeoutField.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change')
  .superRefine((body, ctx) => {
    if (body.events !== undefined && body.conditions !== undefined)
      checkConditionsRule(body.events, body.conditions, ctx);
  })
  .meta({ id: 'UpdateWebhookBody', minProperties: 1, allOf: updateConditionsRules });

const conditionSchema = z.object({
  id: z.string(),
  prompt: z.string(),
  fire: z.enum(['once_per_conversation', 'every_match']),
});

export const webhookSchema = z
  .object({
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
    failing_since: timestamp
      .nullable()
      .describe('Start of the current run of failed attempts; null after any success.'),
    retry_schedule: z.string().nullable().describe("This webhook's delays between attempts; null: RETRY_SCHEDULE."),
    timeout_ms: z.int().nullable().describe("This webhook's attempt timeout; null: DELIVERY_TIMEOUT_MS."),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Webhook' });

export const webhookWithSecretSchema = z
  .object({
    ...webhookSchema.shape,
    secret: z.string().describe('The signing secret (Standard Webhooks, whsec_...), returned once here.'),
    warnings: warningsField,
  })
  .meta({ id: 'WebhookWithSecret' });

const webhookUpdatedSchema = z
  .object({ ...webhookSchema.shape, warnings: warningsField })
  .meta({ id: 'WebhookUpdated' });
const webhookListSchema = listOf(webhookSchema).meta({ id: 'WebhookList' });

const webhookSecretSchema = z
  .object({
    secret: z.string(),
    previous_secret: z.string().nullable().describe('Still signs alongside secret until previous_secret_expires_at.'),
    previous_secret_expires_at: timestamp.nullable(),
  })
  .meta({ id: 'WebhookSecret' });

const rotatedSecretSchema = z
  .object({
    secret: z.string().describe('The new signing secret.'),
    previous_secret_expires_at: timestamp.describe('Until then deliveries carry signatures by both secrets.'),
  })
  .meta({ id: 'RotatedSecret' });

const testSendResultSchema = z
  .object({
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
  })
  .meta({ id: 'TestSendResult' });

/** The public form of a webhook. Signing secrets are never part of it. */
export function webhookJson(w: WebhookRow): z.input<typeof webhookSchema> {
  return {
    id: w.id,
    app_id: w.app_id,
    url: w.url,
    description: w.description,
    events: w.events,
    conditions: w.conditions,
    enabled: w.enabled,
    disabled_reason: w.disabled_reason,
    disabled_at: w.disabled_at?.toISOString() ?? null,
    failing_since: w.failing_since?.toISOString() ?? null,
    retry_schedule: w.retry_schedule_ms ? w.retry_schedule_ms.map(formatDuration).join(',') : null,
    timeout_ms: w.timeout_ms,
    created_at: w.created_at.toISOString(),
    updated_at: w.updated_at.toISOString(),
  };
}

export const NO_LLM_WARNING =
  'No LLM is configured (OPENAI_API_KEY or OPENAI_BASE_URL), so these conditions are saved but not evaluated: they never fire.';

/** Conditions go with custom_condition, and only with it; each gets a stable id. */
function resolveConditions(
  events: readonly string[],
  input: z.output<typeof conditionInputSchema>[] | undefined,
  /** A 400 when the body alone breaks the rule (its schema says so); a 409 when the stored webhook is part of it. */
  refuse: (message: string) => ApiError = (message) => invalidField('conditions', message),
): WebhookCondition[] {
  const wantsConditions = events.includes('custom_condition');
  if (wantsConditions && (!input || input.length === 0))
    throw refuse('at least one condition is required with custom_condition');
  if (!wantsConditions && input && input.length > 0) throw refuse('conditions need the custom_condition event');
  const conditions = (input ?? []).map((c) => ({
    id: c.id ?? `cond_${crypto.randomUUID().replaceAll('-', '')}`,
    prompt: c.prompt,
    fire: c.fire,
  }));
  if (new Set(conditions.map((c) => c.id)).size !== conditions.length) {
    throw new ApiError('duplicate_condition_id', 'Invalid request body: conditions: condition ids must not repeat', [
      { field: 'conditions', message: 'condition ids must not repeat' },
    ]);
  }
  return conditions;
}

async function requireWebhook(ctx: RouteContext, webhookId: string): Promise<WebhookRow> {
  const webhook = isPlausibleId(webhookId) ? await findWebhook(ctx.deps.db, ctx.app.id, webhookId) : undefined;
  if (!webhook) throw notFound(`Webhook ${webhookId}`);
  return webhook;
}

/** What may keep a saved webhook from working: conditions with no LLM, a URL whose name does not resolve now. */
function warnings(ctx: RouteContext, w: WebhookRow, urlWarning?: string): { warnings?: string[] } {
  const list = [
    ...(w.conditions.length > 0 && !ctx.deps.llm ? [NO_LLM_WARNING] : []),
    ...(urlWarning ? [urlWarning] : []),
  ];
  return list.length > 0 ? { warnings: list } : {};
}

/** The links from an answer carrying a webhook to the operations on it. */
const byWebhook = { app_id: '$response.body#/app_id', webhook_id: '$response.body#/id' };
const webhookLinks = {
  GetWebhook: { operationId: 'getWebhook', parameters: byWebhook },
  UpdateWebhook: { operationId: 'updateWebhook', parameters: byWebhook },
  GetWebhookSecret: { operationId: 'getWebhookSecret', parameters: byWebhook },
  RotateWebhookSecret: { operationId: 'rotateWebhookSecret', parameters: byWebhook },
  TestWebhook: { operationId: 'testWebhook', parameters: byWebhook },
  GetWebhookStats: { operationId: 'getWebhookStats', parameters: byWebhook },
  RecoverWebhook: { operationId: 'recoverWebhook', parameters: byWebhook },
  ListWebhookDeliveries: {
    operationId: 'listDeliveries',
    parameters: { app_id: '$response.body#/app_id', webhook_id: '$response.body#/id' },
  },
  DeleteWebhook: { operationId: 'deleteWebhook', parameters: byWebhook },
};

export const webhookRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/webhooks',
    operationId: 'createWebhook',
    tags: ['Webhooks'],
    summary: 'Create a webhook',
    description:
      '`conditions` are required with the `custom_condition` event and refused without it; `events` must not repeat. ' +
      'The URL must be https (http only where the service allows it) and must not point at a private address. ' +
      'Answers with the webhook and its signing `secret`.',
    access: 'key',
    params: webhookParams.pick({ app_id: true }),
    body: createWebhookBodySchema,
    responses: {
      201: {
        description: 'The webhook, with its signing secret.',
        schema: webhookWithSecretSchema,
        links: webhookLinks,
      },
    },
    errors: ['invalid_url', 'duplicate_condition_id'],
  }).handle(async ({ body }, ctx) => {
    const conditions = resolveConditions(body.events, body.conditions);
    const { url, warning } = await checkedUrl(ctx.deps.destination, 'url', body.url);
    const secret = generateWebhookSecret();
    const webhook = await insertWebhook(ctx.deps.db, {
      appId: ctx.app.id,
      url,
      description: body.description ?? null,
      events: body.events,
      conditions,
      secretEncrypted: ctx.deps.secrets.encrypt(secret),
      enabled: body.enabled,
      retryScheduleMs: body.retry_schedule ?? null,
      timeoutMs: body.timeout_ms ?? null,
    });
    // The one answer that carries the secret unasked: the receiver needs it to verify signatures.
    return { status: 201, body: { ...webhookJson(webhook), secret, ...warnings(ctx, webhook, warning) } };
  }),

  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks',
    operationId: 'listWebhooks',
    tags: ['Webhooks'],
    summary: "List an app's webhooks",
    access: 'key',
    params: webhookParams.pick({ app_id: true }),
    query: pageQuerySchema,
    responses: {
      200: { description: 'A page of webhooks, oldest first; never their secrets.', schema: webhookListSchema },
    },
  }).handle(async ({ query }, ctx) => {
    return {
      status: 200,
      body: await page(
        query,
        (p) => listWebhooks(ctx.deps.db, ctx.app.id, p),
        (row) => webhookJson(row),
      ),
    };
  }),

  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}',
    operationId: 'getWebhook',
    tags: ['Webhooks'],
    summary: 'Get a webhook',
    access: 'key',
    params: webhookParams,
    responses: { 200: { description: 'The webhook, without its secret.', schema: webhookSchema } },
  }).handle(async ({ params }, ctx) => {
    return { status: 200, body: webhookJson(await requireWebhook(ctx, params.webhook_id)) };
  }),

  defineRoute({
    method: 'patch',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}',
    operationId: 'updateWebhook',
    tags: ['Webhooks'],
    summary: 'Change a webhook',
    description:
      'Send at least one field. Conditions are kept unless replaced, and dropped when `custom_condition` is. ' +
      'Disabling a webhook ends its waiting retries.',
    access: 'key',
    params: webhookParams,
    body: updateWebhookBodySchema,
    responses: { 200: { description: 'The changed webhook.', schema: webhookUpdatedSchema } },
    errors: ['invalid_url', 'duplicate_condition_id', 'conditions_conflict'],
  }).handle(async ({ params, body }, ctx) => {
    const current = await requireWebhook(ctx, params.webhook_id);
    const events = body.events ?? current.events;
    // Conditions live only with custom_condition: kept unless replaced, dropped when that event is.
    const conditionsInput = body.conditions ?? (events.includes('custom_condition') ? current.conditions : []);
    const bodyAlone = body.events !== undefined && body.conditions !== undefined;
    const conditions = resolveConditions(events, conditionsInput, (message) =>
      bodyAlone
        ? invalidField('conditions', message)
        : new ApiError('conditions_conflict', `With the webhook's current settings, ${message}`, [
            { field: 'conditions', message },
          ]),
    );
    const checked = body.url === undefined ? undefined : await checkedUrl(ctx.deps.destination, 'url', body.url);
    const url = checked?.url;
    const webhook = await updateWebhook(ctx.deps.db, current.app_id, current.id, {
      ...(url !== undefined ? { url } : {}),
      ...('description' in body ? { description: body.description ?? null } : {}),
      ...(body.events ? { events } : {}),
      conditions,
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      ...('retry_schedule' in body ? { retryScheduleMs: body.retry_schedule ?? null } : {}),
      ...('timeout_ms' in body ? { timeoutMs: body.timeout_ms ?? null } : {}),
    });
    if (!webhook) throw notFound(`Webhook ${current.id}`);
    if (body.enabled === false) await notifyWebhooksChanged(ctx.deps, webhook.app_id, [webhook.id]);
    return { status: 200, body: { ...webhookJson(webhook), ...warnings(ctx, webhook, checked?.warning) } };
  }),

  defineRoute({
    method: 'delete',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}',
    operationId: 'deleteWebhook',
    tags: ['Webhooks'],
    summary: 'Delete a webhook',
    description: 'Ends its waiting retries; its deliveries stay in the log.',
    access: 'key',
    params: webhookParams,
    responses: { 204: { description: 'Deleted.' } },
  }).handle(async ({ params }, ctx) => {
    const webhook = await requireWebhook(ctx, params.webhook_id);
    await deleteWebhook(ctx.deps.db, webhook.app_id, webhook.id);
    await notifyWebhooksChanged(ctx.deps, webhook.app_id, [webhook.id]);
    return { status: 204 };
  }),

  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/secret',
    operationId: 'getWebhookSecret',
    tags: ['Webhooks'],
    summary: "Get a webhook's signing secret",
    access: 'key',
    portal: 'manage',
    params: webhookParams,
    responses: {
      200: { description: 'The secret, and the previous one while it still signs.', schema: webhookSecretSchema },
    },
  }).handle(async ({ params }, ctx) => {
    const webhook = await requireWebhook(ctx, params.webhook_id);
    const previousActive =
      webhook.previous_secret_encrypted &&
      webhook.previous_secret_expires_at &&
      webhook.previous_secret_expires_at > new Date();
    return {
      status: 200,
      body: {
        secret: ctx.deps.secrets.decrypt(webhook.secret_encrypted),
        previous_secret: previousActive ? ctx.deps.secrets.decrypt(webhook.previous_secret_encrypted!) : null,
        previous_secret_expires_at: previousActive ? webhook.previous_secret_expires_at!.toISOString() : null,
      },
    };
  }),

  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/rotate-secret',
    operationId: 'rotateWebhookSecret',
    tags: ['Webhooks'],
    summary: "Replace a webhook's signing secret",
    description: 'The previous secret keeps signing, alongside the new one, until previous_secret_expires_at.',
    access: 'key',
    params: webhookParams,
    responses: { 200: { description: 'The new secret.', schema: rotatedSecretSchema } },
  }).handle(async ({ params }, ctx) => {
    const current = await requireWebhook(ctx, params.webhook_id);
    const secret = generateWebhookSecret();
    const overlapUntil = new Date(Date.now() + ctx.deps.secretRotationOverlapMs);
    const rotated = await rotateWebhookSecret(
      ctx.deps.db,
      current.app_id,
      current.id,
      ctx.deps.secrets.encrypt(secret),
      overlapUntil,
    );
    // Deleted since it was read: a secret that nothing stores would sign nothing.
    if (!rotated) throw notFound(`Webhook ${current.id}`);
    return { status: 200, body: { secret, previous_secret_expires_at: overlapUntil.toISOString() } };
  }),

  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/test',
    operationId: 'testWebhook',
    tags: ['Webhooks'],
    summary: 'Send a sample event to a webhook',
    description:
      'Sends a sample payload of the webhook\'s first event type, marked `"test": true`, and waits a while for ' +
      'the outcome: 200 when the attempt ended, 202 (`status: pending`) when it did not end in time. A test send ' +
      'reaches a disabled webhook too.',
    access: 'key',
    params: webhookParams,
    responses: {
      200: {
        description: 'The attempt ended: succeeded or failed.',
        schema: testSendResultSchema,
        links: {
          GetDelivery: {
            operationId: 'getDelivery',
            parameters: { app_id: '$request.path.app_id', delivery_id: '$response.body#/delivery_id' },
          },
          ReplayDelivery: {
            operationId: 'replayDelivery',
            parameters: { app_id: '$request.path.app_id', delivery_id: '$response.body#/delivery_id' },
          },
        },
      },
      202: { description: 'The attempt had not ended in time: status is pending.', schema: testSendResultSchema },
    },
    errors: ['temporal_unavailable'],
  }).handle(async ({ params }, ctx) => {
    const webhook = await requireWebhook(ctx, params.webhook_id);
    // An unreachable Temporal or Postgres is answered 503 by the error middleware, anything else 500.
    const outcome = await sendTest(ctx.deps, webhook, ctx.deps.testSendWaitMs ?? 10_000);
    return {
      status: outcome.status === 'pending' ? 202 : 200,
      body: {
        delivery_id: outcome.deliveryId,
        workflow_id: outcome.workflowId,
        status: outcome.status,
        attempt: outcome.attempt && {
          status_code: outcome.attempt.statusCode,
          duration_ms: outcome.attempt.durationMs,
          response_excerpt: outcome.attempt.responseExcerpt,
          error: outcome.attempt.error,
        },
      },
    };
  }),

  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/recover',
    operationId: 'recoverWebhook',
    tags: ['Deliveries'],
    summary: 'Send again every failed or skipped delivery of a webhook in a window',
    description:
      'Runs as its own workflow, a few deliveries at a time, each with three attempts (now, 5 s, 30 s). since must be ' +
      'before until; a window longer than 14 days is cut to the 14 days before until, and the answer says so. ' +
      'since and until are ISO 8601 or a duration ago such as "2h".',
    access: 'key',
    params: webhookParams,
    body: recoverBodySchema,
    responses: {
      202: {
        description: 'The recovery started.',
        schema: recoveryStartedSchema,
        links: {
          GetRecovery: {
            operationId: 'getRecovery',
            parameters: {
              app_id: '$request.path.app_id',
              webhook_id: '$request.path.webhook_id',
              recovery_id: '$response.body#/recovery_id',
            },
          },
        },
      },
    },
    errors: ['invalid_window', 'temporal_unavailable'],
  }).handle(async ({ params, body }, ctx) => {
    const webhook = await requireWebhook(ctx, params.webhook_id);
    const now = Date.now();
    const since = toInstant(body.since, now);
    const until = body.until ? toInstant(body.until, now) : undefined;
    for (const [field, at] of [
      ['since', since],
      ['until', until],
    ] as const) {
      // A duration ago so long that the moment is before any a date can hold.
      if (at && Number.isNaN(at.getTime())) {
        throw new ApiError('invalid_window', `Invalid recovery window: ${field} is out of range`, [
          { field, message: 'out of range' },
        ]);
      }
    }
    const result = await startRecovery(ctx.deps, webhook.app_id, webhook.id, { since, until });
    switch (result.outcome) {
      case 'started':
        return {
          status: 202,
          body: {
            recovery_id: result.recoveryId,
            workflow_id: result.workflowId,
            since: result.since.toISOString(),
            until: result.until.toISOString(),
            ...(result.shortened
              ? {
                  warnings: [
                    'the window was longer than 14 days, the most a recovery covers: it starts 14 days before until',
                  ],
                }
              : {}),
          },
        };
      case 'invalid_window':
        throw new ApiError('invalid_window', `Invalid recovery window: ${result.reason}`, [
          { field: 'since', message: result.reason },
        ]);
      case 'not_found':
        throw notFound(`Webhook ${webhook.id}`);
      default: {
        const unreachable: never = result;
        throw new Error(`unhandled recovery outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }),

  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/webhooks/{webhook_id}/recoveries/{recovery_id}',
    operationId: 'getRecovery',
    tags: ['Deliveries'],
    summary: 'Progress of a recovery',
    access: 'key',
    params: webhookParams.extend({ recovery_id: z.string().describe('The recovery id (rcv_...).') }),
    responses: { 200: { description: 'Counts so far.', schema: recoveryProgressSchema } },
    errors: ['temporal_unavailable'],
  }).handle(async ({ params }, ctx) => {
    const webhook = await requireWebhook(ctx, params.webhook_id);
    const progress = await recoveryProgressOf(ctx.deps, webhook.app_id, params.recovery_id);
    if (!progress) throw notFound(`Recovery ${params.recovery_id}`);
    return { status: 200, body: { recovery_id: params.recovery_id, webhook_id: webhook.id, ...progress } };
  }),
];
