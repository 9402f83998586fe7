/** /v1/apps/{app_id}/webhooks: webhooks, their signing secrets and test sends (REST Hook subscribes: rest-hooks.ts). */
import crypto from 'node:crypto';

import { type z } from 'zod';

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
import { checkFilter, describeFilterProblem } from '../../domain/filters';
import { generateWebhookSecret } from '../../security/secret-box';
import { notifyWebhooksChanged, sendTest } from '../../services/webhooks';
import { isPlausibleId } from '../body';
import { ApiError, invalidField, notFound } from '../errors';
import { checkedUrl, webhookParams } from '../fields';
import { page, pageQuerySchema } from '../pagination';
import { defineRoute, type RouteContext } from '../route';
import {
  type conditionInputSchema,
  createWebhookBodySchema,
  NO_LLM_WARNING,
  rotatedSecretSchema,
  testSendResultSchema,
  updateWebhookBodySchema,
  webhookJson,
  webhookListSchema,
  webhookSchema,
  webhookSecretSchema,
  webhookUpdatedSchema,
  webhookWithSecretSchema,
} from './webhook-schemas';

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
    prefilter: c.prefilter ?? null,
  }));
  if (new Set(conditions.map((c) => c.id)).size !== conditions.length) {
    throw new ApiError('duplicate_condition_id', 'Invalid request body: conditions: condition ids must not repeat', [
      { field: 'conditions', message: 'condition ids must not repeat' },
    ]);
  }
  return conditions;
}

/**
 * A 422 invalid_filter for each filter or prefilter that is not a valid expression over the event, naming the field,
 * what is wrong and where; nothing is saved then.
 */
export function checkFilters(fields: Array<{ field: string; expression: string | null | undefined }>): void {
  const details = fields.flatMap(({ field, expression }) => {
    const problem = expression ? checkFilter(expression) : undefined;
    return problem ? [{ field, message: describeFilterProblem(problem), position: problem.position }] : [];
  });
  if (details.length === 0) return;
  throw new ApiError(
    'invalid_filter',
    `Invalid filter: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`,
    details,
  );
}

const conditionFilters = (conditions: WebhookCondition[]) =>
  conditions.map((c, i) => ({ field: `conditions.${i}.prefilter`, expression: c.prefilter }));

export async function requireWebhook(ctx: RouteContext, webhookId: string): Promise<WebhookRow> {
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

/**
 * Checks and saves a new webhook, for the webhooks API and for a REST Hook subscribe (whose URL field is target_url),
 * and answers it with its signing secret: the one answer that carries it unasked, since the receiver needs it.
 */
export async function createWebhook(
  ctx: RouteContext,
  urlField: string,
  input: Omit<Parameters<typeof insertWebhook>[1], 'appId' | 'conditions' | 'secretEncrypted'> & {
    conditions: z.output<typeof conditionInputSchema>[] | undefined;
  },
) {
  const conditions = resolveConditions(input.events, input.conditions);
  checkFilters([{ field: 'filter', expression: input.filter }, ...conditionFilters(conditions)]);
  const { url, warning } = await checkedUrl(ctx.deps.destination, urlField, input.url);
  const secret = generateWebhookSecret();
  const webhook = await insertWebhook(ctx.deps.db, {
    ...input,
    appId: ctx.app.id,
    url,
    conditions,
    secretEncrypted: ctx.deps.secrets.encrypt(secret),
  });
  return { status: 201 as const, body: { ...webhookJson(webhook), secret, ...warnings(ctx, webhook, warning) } };
}

/** The links from an answer carrying a webhook to the operations on it. */
const byWebhook = { app_id: '$response.body#/app_id', webhook_id: '$response.body#/id' };
export const webhookLinks = {
  GetWebhook: { operationId: 'getWebhook', parameters: byWebhook },
  UpdateWebhook: { operationId: 'updateWebhook', parameters: byWebhook },
  GetWebhookSecret: { operationId: 'getWebhookSecret', parameters: byWebhook },
  RotateWebhookSecret: { operationId: 'rotateWebhookSecret', parameters: byWebhook },
  TestWebhook: { operationId: 'testWebhook', parameters: byWebhook },
  GetWebhookStats: { operationId: 'getWebhookStats', parameters: byWebhook },
  GetWebhookStatsSeries: { operationId: 'getWebhookStatsSeries', parameters: byWebhook },
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
      'The URL must be https (http only where the service allows it) and must not point at an address that is not ' +
      'globally reachable (the IANA special-purpose registries; the refusal names the range). ' +
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
    errors: ['invalid_url', 'duplicate_condition_id', 'invalid_filter'],
  }).handle(async ({ body }, ctx) =>
    createWebhook(ctx, 'url', {
      url: body.url,
      description: body.description ?? null,
      events: body.events,
      conditions: body.conditions,
      enabled: body.enabled,
      retryScheduleMs: body.retry_schedule ?? null,
      timeoutMs: body.timeout_ms ?? null,
      filter: body.filter ?? null,
      format: body.format,
    }),
  ),

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
    errors: ['invalid_url', 'duplicate_condition_id', 'conditions_conflict', 'invalid_filter'],
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
    checkFilters([
      { field: 'filter', expression: body.filter },
      ...(body.conditions ? conditionFilters(conditions) : []),
    ]);
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
      ...('filter' in body ? { filter: body.filter ?? null } : {}),
      ...(body.format ? { format: body.format } : {}),
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
];
