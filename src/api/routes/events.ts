/** POST /v1/apps/{app_id}/events: the platform backend posts chat events here. */
import crypto from 'node:crypto';

import { z } from 'zod';

import { chatEventBodySchema, identifier, toChatEvent } from '../../domain/event-body';
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

export const eventRoutes = [
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
