/**
 * GET /v1/apps/{app_id}/event-types: the event types a webhook can subscribe to, as app owners meet them, with the
 * payload's fields and an example of what this app's receivers get (its name and privacy settings applied).
 */
import { z } from 'zod';

import { EVENT_CATALOGUE, EXAMPLE_CONDITION_PROMPTS, examplePayload } from '../../domain/event-catalogue';
import { EVENT_LABELS, WEBHOOK_EVENT_TYPES } from '../../domain/events';
import { discordMessage, slackMessage, teamsMessage } from '../../domain/formats';
import { appParams } from '../fields';
import { defineRoute } from '../route';

const payloadFieldSchema = z.object({
  name: z.string(),
  type: z.enum(['string', 'boolean']),
  nullable: z.boolean(),
  description: z.string(),
});

const eventTypeSchema = z
  .object({
    type: z.enum(WEBHOOK_EVENT_TYPES).describe('As webhooks\u2019 `events` name it.'),
    name: z.string().describe('As the settings page names it, e.g. "Message Sent".'),
    description: z.string().describe('When it fires.'),
    payload_event: z.string().describe('The payload\u2019s `event` value, e.g. "Message sent".'),
    fields: z.array(payloadFieldSchema).describe('Every field of the payload, in the order receivers get them.'),
    example: z.record(z.string(), z.unknown()).describe('A payload of this type as this app\u2019s receivers get it.'),
    format_examples: z
      .object({
        slack: z.record(z.string(), z.unknown()),
        discord: z.record(z.string(), z.unknown()),
        teams: z.record(z.string(), z.unknown()),
      })
      .describe('The same example as a webhook of each chat format gets it (format: slack, discord, teams).'),
  })
  .meta({ id: 'EventType' });

const eventTypeListSchema = z
  .object({
    data: z.array(eventTypeSchema),
    example_condition_prompts: z.array(z.string()).describe('Prompts to start a custom condition from.'),
  })
  .meta({ id: 'EventTypeList' });

export const eventTypeRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/event-types',
    operationId: 'listEventTypes',
    tags: ['Events'],
    summary: 'The event types, their payload fields and an example of each',
    description:
      'Message Sent, New User Signup, Custom Conditions and Conversation End: when each fires, its payload fields ' +
      'with their types and nullability, and an example payload with this app\u2019s name and privacy settings applied.',
    access: 'key',
    params: appParams,
    responses: { 200: { description: 'Every event type.', schema: eventTypeListSchema } },
  }).handle(async (_input, ctx) => {
    const at = new Date().toISOString();
    return {
      status: 200,
      body: {
        data: EVENT_CATALOGUE.map((entry) => {
          const example = examplePayload(entry.type, ctx.app, at);
          return {
            ...entry,
            payload_event: EVENT_LABELS[entry.type],
            example: { ...example },
            format_examples: {
              slack: { ...slackMessage(example) },
              discord: { ...discordMessage(example) },
              teams: { ...teamsMessage(example) },
            },
          };
        }),
        example_condition_prompts: [...EXAMPLE_CONDITION_PROMPTS],
      },
    };
  }),
];
