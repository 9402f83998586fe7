/** Recovering a webhook's failed and skipped deliveries in a window, and the progress of a recovery. */
import { z } from 'zod';

import { parseDuration } from '../../domain/durations';
import { recoveryProgressOf, startRecovery } from '../../services/replay';
import { ApiError, notFound } from '../errors';
import { durationField, timestamp, warningsField, webhookParams } from '../fields';
import { defineRoute } from '../route';
import { requireWebhook } from './webhooks';

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
      .describe(
        'End of the window (default now), after since. A longer window than 14 days is cut to the 14 before it.',
      ),
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

export const recoveryRoutes = [
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
