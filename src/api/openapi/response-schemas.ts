/**
 * The response shapes the document describes. The routes build their answers by hand (appJson, webhookJson, ...),
 * so these are written out here rather than derived; test/unit/openapi.test.ts holds them to appJson/webhookJson at
 * compile time and against real answers at run time.
 */
import { z } from 'zod';

import { WEBHOOK_EVENT_TYPES } from '../../domain/events';

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

/** Every list route answers a page of this shape; see ../pagination.ts. */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page.'),
  });
