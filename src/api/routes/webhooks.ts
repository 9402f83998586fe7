import crypto from 'node:crypto';
import { Router, type Response } from 'express';
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
import { WEBHOOK_EVENT_TYPES, identifier } from '../../domain/events';
import type { WebhookCondition } from '../../domain/conditions';
import { checkDestination, type DestinationPolicy, type Resolver } from '../../security/destination';
import { generateWebhookSecret, type SecretBox } from '../../security/secret-box';
import { notifyWebhooksChanged, sendTest } from '../../services/webhooks';
import type { EventServiceDeps } from '../../services/events';
import type { Logger } from '../../logger';
import { ApiError, notFound, parseOr400 } from '../errors';
import { requireJson, scopedApp } from '../auth';
import { isPlausibleId, requireNoBody } from '../body';
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
  prompt: z.string().trim().min(1).max(1000).describe('When to fire, in plain language: "When a user asks about pricing".'),
  fire: z
    .enum(['once_per_conversation', 'every_match'])
    .default('once_per_conversation')
    .describe('Fire at most once per conversation (default), or at every match.'),
});

const eventsSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1, 'choose at least one event')
  .refine((events) => new Set(events).size === events.length, 'events must not repeat');

export const createWebhookBodySchema = z.strictObject({
  url: z.string().min(1).describe('Where to POST: https (http only when ALLOW_HTTP_WEBHOOKS is true).'),
  description: z.string().max(500).optional(),
  events: eventsSchema,
  conditions: z.array(conditionInputSchema).max(20).optional().describe('Required with custom_condition, refused otherwise.'),
  enabled: z.boolean().default(true),
});

export const updateWebhookBodySchema = z
  .strictObject({
    url: z.string().min(1).optional(),
    description: z.string().max(500).nullable().optional(),
    events: eventsSchema.optional(),
    conditions: z.array(conditionInputSchema).max(20).optional(),
    enabled: z.boolean().optional(),
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
function resolveConditions(events: readonly string[], input: z.output<typeof conditionInputSchema>[] | undefined): WebhookCondition[] {
  const wantsConditions = events.includes('custom_condition');
  if (wantsConditions && (!input || input.length === 0)) throw invalid('conditions', 'at least one condition is required with custom_condition');
  if (!wantsConditions && input && input.length > 0) throw invalid('conditions', 'conditions need the custom_condition event');
  const conditions = (input ?? []).map((c) => ({ id: c.id ?? `cond_${crypto.randomUUID().replaceAll('-', '')}`, prompt: c.prompt, fire: c.fire }));
  if (new Set(conditions.map((c) => c.id)).size !== conditions.length) throw invalid('conditions', 'condition ids must not repeat');
  return conditions;
}

export function createWebhooksRouter(deps: WebhooksRouterDeps): Router {
  const router = Router({ mergeParams: true });

  const warnings = (w: WebhookRow) => (w.conditions.length > 0 && !deps.llm ? { warnings: [NO_LLM_WARNING] } : {});

  async function checkedUrl(raw: string): Promise<string> {
    const check = await checkDestination(raw, deps.destination, deps.destination.resolver);
    if (!check.ok) throw new ApiError(400, 'invalid_url', `Invalid webhook url: ${check.reason}`, [{ field: 'url', message: check.reason }]);
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
    });
    // The one answer that carries the secret unasked: the receiver needs it to verify signatures.
    res.status(201).json({ ...webhookJson(webhook), secret, ...warnings(webhook) });
  });

  router.get('/', async (req, res) => {
    const query = parseOr400(pageQuerySchema, req.query, 'query');
    res.json(await page(query, (p) => listWebhooks(deps.db, scopedApp(res).id, p), (row) => webhookJson(row)));
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
    const previousActive = webhook.previous_secret_encrypted && webhook.previous_secret_expires_at && webhook.previous_secret_expires_at > new Date();
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

  router.post('/:webhook_id/test', requireNoBody, async (req, res) => {
    const webhook = await requireWebhook(res, req.params.webhook_id as string);
    let outcome;
    try {
      outcome = await sendTest(deps, webhook, deps.testSendWaitMs);
    } catch (error) {
      deps.logger.warn({ err: error, app_id: webhook.app_id, webhook_id: webhook.id }, 'could not start test send');
      res.set('retry-after', '5');
      throw new ApiError(503, 'temporal_unavailable', 'The workflow engine is unreachable, so the test was not sent. Retry later.');
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
