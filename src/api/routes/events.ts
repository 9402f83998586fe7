/** POST /v1/apps/{app_id}/events: the platform backend posts chat events here. */
import crypto from 'node:crypto';

import { z } from 'zod';

import { listSamplePayloads } from '../../db/queries/deliveries';
import { chatEventBodySchema, identifier, toChatEvent } from '../../domain/event-body';
import { examplePayload } from '../../domain/event-catalogue';
import { WEBHOOK_EVENT_TYPES } from '../../domain/events';
import { acceptEvent } from '../../services/events';
import { ApiError } from '../errors';
import { appParams } from '../fields';
import { defineRoute } from '../route';

export const eventAcceptedSchema = z
  .object({
    event_id: z.string(),
    workflow_id: z.string(),
    status: z.enum(['accepted', 'duplicate']),
  })
  .meta({ id: 'EventAccepted' });

const eventLinks = {
  GetEvaluation: {
    operationId: 'getEvaluation',
    parameters: { app_id: '$request.path.app_id', event_id: '$response.body#/event_id' },
  },
  ListEventDeliveries: {
    operationId: 'listDeliveries',
    parameters: { app_id: '$request.path.app_id' },
  },
};

export const samplesQuerySchema = z.strictObject({
  type: z.enum(WEBHOOK_EVENT_TYPES).describe('The event type, as webhooks\u2019 `events` name it.'),
  limit: z.coerce.number().int().min(1).max(10).default(3).describe('How many, at most (1-10, default 3).'),
});

export const samplePayloadsSchema = z
  .object({
    data: z
      .array(z.record(z.string(), z.unknown()))
      .describe('Payloads, newest first, exactly as they were delivered (standard format).'),
    source: z
      .enum(['deliveries', 'example'])
      .describe('deliveries: real payloads of the last 30 days; example: none yet, so the documented example.'),
  })
  .meta({ id: 'SamplePayloads' });

export const eventRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/events/samples',
    operationId: 'listSamplePayloads',
    tags: ['Events'],
    summary: 'Recent payloads of an event type, for "Test trigger" and "Perform List"',
    description:
      'The most recent real payloads of `type` that this app delivered (standard format, not test sends), one per ' +
      'event, exactly as sent; when there are none yet, the example payload of the product documentation, with this ' +
      'app\u2019s name and privacy settings. Zapier\u2019s performList and Make\u2019s sample data read it.',
    access: 'key',
    params: appParams,
    query: samplesQuerySchema,
    responses: { 200: { description: 'The samples.', schema: samplePayloadsSchema } },
  }).handle(async ({ query }, ctx) => {
    const payloads = await listSamplePayloads(ctx.deps.db, ctx.app.id, query.type, query.limit);
    if (payloads.length > 0) {
      return {
        status: 200,
        body: { data: payloads.map((p) => JSON.parse(p) as Record<string, unknown>), source: 'deliveries' as const },
      };
    }
    // The seed document's example payload, as this app's receivers would get it.
    const example = examplePayload(query.type, ctx.app, '2024-01-01T12:00:00.000Z');
    return { status: 200, body: { data: [{ ...example }], source: 'example' as const } };
  }),

  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/events',
    operationId: 'postEvent',
    tags: ['Events'],
    summary: 'Post a chat event',
    description:
      'Starts delivery to every enabled webhook of the app that subscribes to the event. The event id is `id`; ' +
      'without it, the `Idempotency-Key` header; without either, the service makes one up (`evt_...`), and a retry ' +
      'of that request is a new event. A repeated id is answered 200 `duplicate` and delivers nothing again. ' +
      '`conversation_id` is required for message_sent and conversation_end.',
    access: 'key',
    portal: 'none',
    params: appParams,
    headers: z.object({
      'Idempotency-Key': identifier(200)
        .optional()
        .describe(
          'The event id, when the body has no `id` (when it has one, the header is not used, but must still be a valid id).',
        ),
    }),
    body: chatEventBodySchema,
    responses: {
      200: {
        description: 'Seen before (status: duplicate): nothing is delivered again.',
        schema: eventAcceptedSchema,
        links: eventLinks,
      },
      202: {
        description: 'Accepted (status: accepted): delivery has started.',
        schema: eventAcceptedSchema,
        links: eventLinks,
      },
    },
    errors: ['rate_limited', 'temporal_unavailable'],
  }).handle(async ({ headers, body }, ctx) => {
    // An id is what makes a retry safe, but an event without one is still an event: it is delivered, not refused.
    // Some HTTP clients add an Idempotency-Key of their own to every POST, so the body's id comes first.
    const eventId = body.id ?? headers['Idempotency-Key'] ?? `evt_${crypto.randomUUID().replaceAll('-', '')}`;

    // The quota comes with the app row the key lookup already read: an app without one costs no query for it.
    const quota = ctx.app.max_events_per_second ?? ctx.deps.appMaxEventsPerSecond;
    const result = await acceptEvent(ctx.deps, toChatEvent(ctx.app.id, eventId, body, new Date()), quota);
    switch (result.outcome) {
      case 'accepted':
        return { status: 202, body: { event_id: eventId, workflow_id: result.workflowId, status: 'accepted' } };
      case 'duplicate':
        return { status: 200, body: { event_id: eventId, workflow_id: result.workflowId, status: 'duplicate' } };
      case 'rate_limited':
        throw new ApiError(
          'rate_limited',
          `This app posts events faster than its quota of ${quota} per second: the event was not accepted and ` +
            `nothing was written. Retry after ${result.retryAfterSeconds} s with the same id.`,
          undefined,
          { 'Retry-After': String(result.retryAfterSeconds) },
        );
      case 'temporal_unavailable':
        throw new ApiError(
          'temporal_unavailable',
          'The workflow engine is unreachable, so the event was not accepted. Retry later with the same id.',
        );
      default: {
        const unreachable: never = result;
        throw new Error(`unhandled outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }),
];
