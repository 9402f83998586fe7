import crypto from 'node:crypto';

import { type Response, Router } from 'express';
import { z } from 'zod';

import type { Db } from '../../db/pool';
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
import { identifier } from '../../domain/event-body';
import { WEBHOOK_EVENT_TYPES } from '../../domain/events';
import type { Logger } from '../../logger';
import { checkDestination, type DestinationPolicy, type Resolver } from '../../security/destination';
import { generateWebhookSecret, type SecretBox } from '../../security/secret-box';
import type { EventServiceDeps } from '../../services/events';
import { recoveryProgressOf, startRecovery } from '../../services/replay';
import { notifyWebhooksChanged, sendTest } from '../../services/webhooks';
import { requireJson, scopedApp } from '../auth';
import { isPlausibleId, requireNoBody } from '../body';
import { ApiError, notFound, parseOr400 } from '../errors';
import { page, pageQuerySchema } from '../pagination';

export interface WebhooksRouterDeps {
  db: Db;
  secrets: SecretBox;
  temporal: EventServiceDeps['temporal'];
  destination: DestinationPolicy & { resolver?: Resolver };
  /** How long the previous secret keeps signing after a rotation. */
  secretRotationOverlapMs: number;
  /** How long a test send waits for its outcome before answering 202. */
  testSendWaitMs: number;
  /** Undefined when no LLM is configured: conditions are then saved with a warning. */
  llm: unknown;
  logger: Logger;
}

export const conditionInputSchema = z.strictObject({
  id: identifier(64).optional().describe('Stable id of the condition; generated when omitted.'),
  prompt: z
    .string()
    .trim()
    .min(1)
    .max(1000)
    .describe('When to fire, in plain language: "When a user asks about pricing".'),
  fire: z
    .enum(['once_per_conversation', 'every_match'])
    .default('once_per_conversation')
    .describe('Fire at most once per conversation (default), or at every match.'),
});

const eventsSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1, 'choose at least one event')
  .refine((events) => new Set(events).size === events.length, 'events must not repeat');

/** A moment: ISO 8601 with an offset, or a duration back from now such as `2h` or `3d`. */
const instantOrAgo = z.union([
  z.iso.datetime({ offset: true }),
  z.string().regex(/^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/, 'an ISO 8601 time or a duration ago such as 2h'),
]);

function toInstant(value: string, nowMs: number): Date {
  const ago = parseDuration(value);
  return typeof ago === 'number' ? new Date(nowMs - ago) : new Date(value);
}

export const recoverBodySchema = z.strictObject({
  since: instantOrAgo.describe('Start of the window: ISO 8601, or a duration ago such as "2h".'),
  until: instantOrAgo.optional().describe('End of the window (default now); at most 14 days after since.'),
});

export const recoveryStartedSchema = z.object({
  recovery_id: z.string(),
  workflow_id: z.string(),
  since: z.iso.datetime({ offset: true }),
  until: z.iso.datetime({ offset: true }),
});

export const recoveryProgressSchema = z.object({
  recovery_id: z.string(),
  webhook_id: z.string(),
  total: z.int().describe('Failed and skipped deliveries in the window when the recovery started.'),
  sent: z.int(),
  succeeded: z.int(),
  failed: z.int(),
  done: z.boolean(),
});

/** Per-webhook delivery settings: a retry schedule as RETRY_SCHEDULE is written, and the attempt timeout. */
const retryScheduleField = z
  .string()
  .max(500)
  .transform((text, ctx) => {
    const parsed = parseRetrySchedule(text);
    if (!Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    if (parsed.length > 30) ctx.addIssue({ code: 'custom', message: 'at most 30 retries' });
    if (parsed.some((ms) => ms < 1_000 || ms > 86_400_000))
      ctx.addIssue({ code: 'custom', message: 'each delay must be between 1s and 24h' });
    return parsed;
  })
  .describe('Delays between attempts, e.g. "5s,5m,30m"; replaces RETRY_SCHEDULE for this webhook. null: the default.');
const timeoutField = z
  .int()
  .min(1_000)
  .max(30_000)
  .describe('Attempt timeout in ms (1000-30000); null: DELIVERY_TIMEOUT_MS.');

export const createWebhookBodySchema = z.strictObject({
  url: z.string().min(1).describe('Where to POST: https (http only when ALLOW_HTTP_WEBHOOKS is true).'),
  description: z.string().max(500).optional(),
  events: eventsSchema,
  conditions: z
    .array(conditionInputSchema)
    .max(20)
    .optional()
    .describe('Required with custom_condition, refused otherwise.'),
  enabled: z.boolean().default(true),
  retry_schedule: retryScheduleField.nullable().optional(),
  timeout_ms: timeoutField.nullable().optional(),
});

export const updateWebhookBodySchema = z
  .strictObject({
    url: z.string().min(1).optional(),
    description: z.string().max(500).nullable().optional(),
    events: eventsSchema.optional(),
    conditions: z.array(conditionInputSchema).max(20).optional(),
    enabled: z.boolean().optional(),
    retry_schedule: retryScheduleField.nullable().optional(),
    timeout_ms: timeoutField.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');

/** The public form of a webhook. Signing secrets are never part of it. */
export function webhookJson(w: WebhookRow) {
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

function invalid(field: string, message: string): ApiError {
  return new ApiError(400, 'validation_failed', `Invalid request body: ${field}: ${message}`, [{ field, message }]);
}

/** Conditions go with custom_condition, and only with it; each gets a stable id. */
function resolveConditions(
  events: readonly string[],
  input: z.output<typeof conditionInputSchema>[] | undefined,
): WebhookCondition[] {
  const wantsConditions = events.includes('custom_condition');
  if (wantsConditions && (!input || input.length === 0))
    throw invalid('conditions', 'at least one condition is required with custom_condition');
  if (!wantsConditions && input && input.length > 0)
    throw invalid('conditions', 'conditions need the custom_condition event');
  const conditions = (input ?? []).map((c) => ({
    id: c.id ?? `cond_${crypto.randomUUID().replaceAll('-', '')}`,
    prompt: c.prompt,
    fire: c.fire,
  }));
  if (new Set(conditions.map((c) => c.id)).size !== conditions.length)
    throw invalid('conditions', 'condition ids must not repeat');
  return conditions;
}

export function createWebhooksRouter(deps: WebhooksRouterDeps): Router {
  const router = Router({ mergeParams: true });

  const warnings = (w: WebhookRow) => (w.conditions.length > 0 && !deps.llm ? { warnings: [NO_LLM_WARNING] } : {});

  async function checkedUrl(raw: string): Promise<string> {
    const check = await checkDestination(raw, deps.destination, deps.destination.resolver);
    if (!check.ok)
      throw new ApiError(400, 'invalid_url', `Invalid webhook url: ${check.reason}`, [
        { field: 'url', message: check.reason },
      ]);
    return check.url;
  }

  async function requireWebhook(res: Response, webhookId: string): Promise<WebhookRow> {
    const webhook = isPlausibleId(webhookId) ? await findWebhook(deps.db, scopedApp(res).id, webhookId) : undefined;
    if (!webhook) throw notFound(`Webhook ${webhookId}`);
    return webhook;
  }

  router.post('/', requireJson, async (req, res) => {
    const body = parseOr400(createWebhookBodySchema, req.body);
    const conditions = resolveConditions(body.events, body.conditions);
    const url = await checkedUrl(body.url);
    const secret = generateWebhookSecret();
    const webhook = await insertWebhook(deps.db, {
      appId: scopedApp(res).id,
      url,
      description: body.description ?? null,
      events: body.events,
      conditions,
      secretEncrypted: deps.secrets.encrypt(secret),
      enabled: body.enabled,
      retryScheduleMs: body.retry_schedule ?? null,
      timeoutMs: body.timeout_ms ?? null,
    });
    // The one answer that carries the secret unasked: the receiver needs it to verify signatures.
    res.status(201).json({ ...webhookJson(webhook), secret, ...warnings(webhook) });
  });

  router.get('/', async (req, res) => {
    const query = parseOr400(pageQuerySchema, req.query, 'query');
    res.json(
      await page(
        query,
        (p) => listWebhooks(deps.db, scopedApp(res).id, p),
        (row) => webhookJson(row),
      ),
    );
  });

  router.get('/:webhook_id', async (req, res) => {
    res.json(webhookJson(await requireWebhook(res, req.params.webhook_id as string)));
  });

  router.patch('/:webhook_id', requireJson, async (req, res) => {
    const current = await requireWebhook(res, req.params.webhook_id as string);
    const body = parseOr400(updateWebhookBodySchema, req.body);
    const events = body.events ?? current.events;
    // Conditions live only with custom_condition: kept unless replaced, dropped when that event is.
    const conditionsInput = body.conditions ?? (events.includes('custom_condition') ? current.conditions : []);
    const conditions = resolveConditions(events, conditionsInput);
    const url = body.url === undefined ? undefined : await checkedUrl(body.url);
    const webhook = await updateWebhook(deps.db, current.app_id, current.id, {
      ...(url !== undefined ? { url } : {}),
      ...('description' in body ? { description: body.description ?? null } : {}),
      ...(body.events ? { events } : {}),
      conditions,
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      ...('retry_schedule' in body ? { retryScheduleMs: body.retry_schedule ?? null } : {}),
      ...('timeout_ms' in body ? { timeoutMs: body.timeout_ms ?? null } : {}),
    });
    if (!webhook) throw notFound(`Webhook ${current.id}`);
    if (body.enabled === false) await notifyWebhooksChanged(deps, webhook.app_id, [webhook.id]);
    res.json({ ...webhookJson(webhook), ...warnings(webhook) });
  });

  // Deletes the webhook and ends its waiting retries; its deliveries stay in the log.
  router.delete('/:webhook_id', requireNoBody, async (req, res) => {
    const webhook = await requireWebhook(res, req.params.webhook_id as string);
    await deleteWebhook(deps.db, webhook.app_id, webhook.id);
    await notifyWebhooksChanged(deps, webhook.app_id, [webhook.id]);
    res.status(204).end();
  });

  router.get('/:webhook_id/secret', async (req, res) => {
    const webhook = await requireWebhook(res, req.params.webhook_id as string);
    const previousActive =
      webhook.previous_secret_encrypted &&
      webhook.previous_secret_expires_at &&
      webhook.previous_secret_expires_at > new Date();
    res.json({
      secret: deps.secrets.decrypt(webhook.secret_encrypted),
      previous_secret: previousActive ? deps.secrets.decrypt(webhook.previous_secret_encrypted!) : null,
      previous_secret_expires_at: previousActive ? webhook.previous_secret_expires_at!.toISOString() : null,
    });
  });

  router.post('/:webhook_id/rotate-secret', requireNoBody, async (req, res) => {
    const current = await requireWebhook(res, req.params.webhook_id as string);
    const secret = generateWebhookSecret();
    const overlapUntil = new Date(Date.now() + deps.secretRotationOverlapMs);
    await rotateWebhookSecret(deps.db, current.app_id, current.id, deps.secrets.encrypt(secret), overlapUntil);
    res.json({ secret, previous_secret_expires_at: overlapUntil.toISOString() });
  });

  // Sends again every failed or skipped delivery of the webhook in a window of at most 14 days, a few at a time.
  router.post('/:webhook_id/recover', requireJson, async (req, res) => {
    const webhook = await requireWebhook(res, req.params.webhook_id as string);
    const body = parseOr400(recoverBodySchema, req.body);
    const now = Date.now();
    const result = await startRecovery(deps, webhook.app_id, webhook.id, {
      since: toInstant(body.since, now),
      until: body.until ? toInstant(body.until, now) : undefined,
    });
    switch (result.outcome) {
      case 'started':
        res.status(202).json({
          recovery_id: result.recoveryId,
          workflow_id: result.workflowId,
          since: result.since.toISOString(),
          until: result.until.toISOString(),
        } satisfies z.input<typeof recoveryStartedSchema>);
        return;
      case 'invalid_window':
        throw invalid('since', result.reason);
      case 'not_found':
        throw notFound(`Webhook ${webhook.id}`);
      default: {
        const unreachable: never = result;
        throw new Error(`unhandled recovery outcome ${JSON.stringify(unreachable)}`);
      }
    }
  });

  router.get('/:webhook_id/recoveries/:recovery_id', async (req, res) => {
    const webhook = await requireWebhook(res, req.params.webhook_id as string);
    const recoveryId = req.params.recovery_id as string;
    const progress = await recoveryProgressOf(deps, webhook.app_id, recoveryId);
    if (!progress) throw notFound(`Recovery ${recoveryId}`);
    res.json({ recovery_id: recoveryId, webhook_id: webhook.id, ...progress } satisfies z.input<
      typeof recoveryProgressSchema
    >);
  });

  router.post('/:webhook_id/test', requireNoBody, async (req, res) => {
    const webhook = await requireWebhook(res, req.params.webhook_id as string);
    let outcome;
    try {
      outcome = await sendTest(deps, webhook, deps.testSendWaitMs);
    } catch (error) {
      deps.logger.warn({ err: error, app_id: webhook.app_id, webhook_id: webhook.id }, 'could not start test send');
      res.set('retry-after', '5');
      throw new ApiError(
        503,
        'temporal_unavailable',
        'The workflow engine is unreachable, so the test was not sent. Retry later.',
      );
    }
    res.status(outcome.status === 'pending' ? 202 : 200).json({
      delivery_id: outcome.deliveryId,
      workflow_id: outcome.workflowId,
      status: outcome.status,
      attempt: outcome.attempt && {
        status_code: outcome.attempt.statusCode,
        duration_ms: outcome.attempt.durationMs,
        response_excerpt: outcome.attempt.responseExcerpt,
        error: outcome.attempt.error,
      },
    });
  });

  return router;
}
