/** The webhook settings' request and answer schemas, and the public form of a webhook. */

import { z } from 'zod';

import { type WebhookRow } from '../../db/queries/webhooks';
import { formatDuration, parseRetrySchedule } from '../../domain/durations';
import { identifier, nonBlankText, text } from '../../domain/event-body';
import { WEBHOOK_EVENT_TYPES } from '../../domain/events';
import { FILTER_MAX_LENGTH } from '../../domain/filters';
import { WEBHOOK_FORMATS } from '../../domain/formats';
import { destinationUrlField, durationAlternatives, timestamp, warningsField } from '../fields';
import { listOf } from '../pagination';

/** A CEL expression; checked by the route (a 422 invalid_filter with its position), since no schema can say it. */
const filterField = nonBlankText(FILTER_MAX_LENGTH);

const formatField = z
  .enum(WEBHOOK_FORMATS)
  .describe(
    'The body: standard (our JSON payload, the default), slack (an incoming-webhook message with blocks), discord ' +
      '(a webhook message with an embed) or teams (an Adaptive Card for a Teams Workflows webhook).',
  );

export const conditionInputSchema = z.strictObject({
  id: identifier(64).optional().describe('Stable id of the condition; generated when omitted.'),
  prompt: nonBlankText(1000).describe('When to fire, in plain language: "When a user asks about pricing".'),
  fire: z
    .enum(['once_per_conversation', 'every_match'])
    .default('once_per_conversation')
    .describe('Fire at most once per conversation (default), or at every match.'),
  prefilter: filterField
    .nullable()
    .optional()
    .describe(
      'A CEL expression over the event, such as `user.logged_in && message.contains("price")`: when false, the ' +
        'LLM is not asked about this condition for that message.',
    ),
});

const eventsSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1, 'choose at least one event')
  .refine((events) => new Set(events).size === events.length, 'events must not repeat')
  .meta({ uniqueItems: true });

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
    filter: filterField
      .nullable()
      .optional()
      .describe(
        'A CEL expression over the event, such as `user.logged_in && message.contains("refund")`: events for which ' +
          'it is false are recorded as skipped (filtered), not sent. It gates custom conditions before the LLM too.',
      ),
    format: formatField.default('standard'),
  })
  .superRefine((body, ctx) => checkConditionsRule(body.events, body.conditions, ctx))
  .meta({ id: 'CreateWebhookBody', ...conditionsRule });

/** Body of a REST Hook subscribe (Zapier's performSubscribe, Make's attach): one URL and one event type. */
export const restHookBodySchema = z
  .strictObject({
    target_url: webhookUrlField.describe('The platform\u2019s hook URL (Zapier\u2019s bundle.targetUrl).'),
    event: z.enum(WEBHOOK_EVENT_TYPES),
    conditions: z
      .array(conditionInputSchema)
      .min(1)
      .max(20)
      .optional()
      .describe('Required with custom_condition, refused otherwise.'),
    filter: filterField.nullable().optional().describe('A CEL expression over the event, as on a webhook.'),
    format: formatField.default('standard'),
  })
  .superRefine((body, ctx) => checkConditionsRule([body.event], body.conditions, ctx))
  .meta({
    id: 'RestHookBody',
    if: { properties: { event: { const: 'custom_condition' } }, required: ['event'] },
    then: { required: ['conditions'] },
    else: { properties: { conditions: { maxItems: 0 } } },
  });

export const updateWebhookBodySchema = z
  .strictObject({
    url: webhookUrlField.optional(),
    description: text(500).nullable().optional(),
    events: eventsSchema.optional(),
    conditions: z.array(conditionInputSchema).max(20).optional(),
    enabled: z.boolean().optional(),
    retry_schedule: retryScheduleField.nullable().optional(),
    timeout_ms: timeoutField.nullable().optional(),
    filter: filterField.nullable().optional().describe('A CEL expression over the event; null removes the filter.'),
    format: formatField.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change')
  .superRefine((body, ctx) => {
    if (body.events !== undefined && body.conditions !== undefined)
      checkConditionsRule(body.events, body.conditions, ctx);
  })
  .meta({ id: 'UpdateWebhookBody', minProperties: 1, allOf: updateConditionsRules });

export const conditionSchema = z.object({
  id: z.string(),
  prompt: z.string(),
  fire: z.enum(['once_per_conversation', 'every_match']),
  prefilter: z.string().nullable().describe('The CEL expression that gates the LLM; null: always asked.'),
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
    filter: z.string().nullable().describe('The CEL expression events must meet; null: every event.'),
    format: z.enum(WEBHOOK_FORMATS),
    created_via: z
      .enum(['api', 'rest_hook'])
      .describe('rest_hook: made by a REST Hook subscribe (Zapier, Make); deleted when its URL answers 410.'),
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

export const webhookUpdatedSchema = z
  .object({ ...webhookSchema.shape, warnings: warningsField })
  .meta({ id: 'WebhookUpdated' });
export const webhookListSchema = listOf(webhookSchema).meta({ id: 'WebhookList' });

export const webhookSecretSchema = z
  .object({
    secret: z.string(),
    previous_secret: z.string().nullable().describe('Still signs alongside secret until previous_secret_expires_at.'),
    previous_secret_expires_at: timestamp.nullable(),
  })
  .meta({ id: 'WebhookSecret' });

export const rotatedSecretSchema = z
  .object({
    secret: z.string().describe('The new signing secret.'),
    previous_secret_expires_at: timestamp.describe('Until then deliveries carry signatures by both secrets.'),
  })
  .meta({ id: 'RotatedSecret' });

export const testSendResultSchema = z
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
    conditions: w.conditions.map((c) => ({ id: c.id, prompt: c.prompt, fire: c.fire, prefilter: c.prefilter ?? null })),
    enabled: w.enabled,
    disabled_reason: w.disabled_reason,
    disabled_at: w.disabled_at?.toISOString() ?? null,
    failing_since: w.failing_since?.toISOString() ?? null,
    retry_schedule: w.retry_schedule_ms ? w.retry_schedule_ms.map(formatDuration).join(',') : null,
    timeout_ms: w.timeout_ms,
    filter: w.filter,
    format: w.format,
    created_via: w.created_via,
    created_at: w.created_at.toISOString(),
    updated_at: w.updated_at.toISOString(),
  };
}

export const NO_LLM_WARNING =
  'No LLM is configured (OPENAI_API_KEY or OPENAI_BASE_URL), so these conditions are saved but not evaluated: they never fire.';
