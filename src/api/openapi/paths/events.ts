/** POST /v1/apps/{app_id}/events: the platform backend posts chat events here. */
import { type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

import { identifier } from '../../../domain/event-body';
import { appParams, body, type Components, json } from '../components';

export function registerEventPaths(registry: OpenAPIRegistry, { schemas, errors }: Components): void {
  const { EventAccepted, ChatEventBody } = schemas;

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
}
