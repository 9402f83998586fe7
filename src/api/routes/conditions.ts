/**
 * POST /v1/apps/{app_id}/conditions/try: judge a condition prompt (after its prefilter) against a transcript, and
 * POST /v1/apps/{app_id}/filters/try: run a filter against a sample event. Both store nothing.
 */
import { z } from 'zod';

import { chatEventUserSchema, identifier, nonBlankText, text } from '../../domain/event-body';
import { CHAT_EVENT_TYPES, type ChatEvent } from '../../domain/events';
import { evaluateFilter, FILTER_MAX_LENGTH, FILTER_VARIABLES, filterContext } from '../../domain/filters';
import { judgeConditions } from '../../llm/judge';
import { ApiError } from '../errors';
import { appParams } from '../fields';
import { BODY_LIMIT_TEXT } from '../limits';
import { defineRoute } from '../route';
import { checkFilters } from './webhooks';

const VARIABLES_DOC = FILTER_VARIABLES.map((v) => `\`${v.name}\` (${v.type})`).join(', ');

/** A sample event for trying filters, as the backend would post it; what it leaves out is empty. */
const sampleEventSchema = z
  .strictObject({
    type: z.enum(CHAT_EVENT_TYPES).default('message_sent'),
    occurred_at: z.iso.datetime({ offset: true }).optional().describe('ISO 8601; default: now.'),
    conversation_id: identifier(200).optional(),
    user: chatEventUserSchema.optional(),
    message: text(100_000).optional(),
    response: text(100_000).optional(),
  })
  .meta({ id: 'SampleEvent' });

function sampleEvent(appId: string, body: z.output<typeof sampleEventSchema>): ChatEvent {
  return {
    appId,
    eventId: 'evt_try',
    type: body.type,
    occurredAt: new Date(body.occurred_at ?? Date.now()).toISOString(),
    conversationId: body.conversation_id ?? null,
    user: body.user
      ? {
          id: body.user.id ?? null,
          email: body.user.email ?? null,
          name: body.user.name ?? null,
          loggedIn: body.user.logged_in,
        }
      : null,
    message: body.message ?? null,
    response: body.response ?? null,
  };
}

const filterField = nonBlankText(FILTER_MAX_LENGTH);

export const tryConditionBodySchema = z
  .strictObject({
    prompt: nonBlankText(1000).describe('The condition to try: "When a user asks about pricing".'),
    transcript: z
      .array(z.strictObject({ role: z.enum(['user', 'assistant']), text: text(20_000).min(1) }))
      .min(1)
      .max(200)
      .describe(`The conversation to judge, oldest turn first. The whole body is at most ${BODY_LIMIT_TEXT}.`),
    prefilter: filterField
      .optional()
      .describe('A prefilter to try first, against `event`: when it is false, the LLM is not asked.'),
    event: sampleEventSchema
      .optional()
      .describe(
        "The event the prefilter sees; default: a message_sent from a logged-in user whose message and response are the transcript's last user and assistant turns.",
      ),
  })
  .meta({ id: 'TryConditionBody' });

export const tryConditionResultSchema = z
  .object({
    matched: z.boolean(),
    reason: z.string().describe("The judge's one-sentence reason, or why the LLM was not asked."),
    model: z.string().nullable().describe('null when the prefilter kept the LLM from being asked.'),
    tokens: z.object({ prompt: z.number().int().nullable(), completion: z.number().int().nullable() }),
    prefilter: z
      .object({ matched: z.boolean(), error: z.string().nullable() })
      .optional()
      .describe('The prefilter against the event; absent without one.'),
  })
  .meta({ id: 'TryConditionResult' });

export const tryFilterBodySchema = z
  .strictObject({
    filter: filterField.describe(`A CEL expression over the event. Its variables: ${VARIABLES_DOC}.`),
    event: sampleEventSchema.optional().describe("The event to try it on; default: the seed's sample message."),
  })
  .meta({ id: 'TryFilterBody' });

export const tryFilterResultSchema = z
  .object({
    matched: z.boolean().describe('Whether an event like this one would be delivered (or judged, for a prefilter).'),
    error: z
      .string()
      .nullable()
      .describe('Why it did not match when it failed while running, such as an index out of range.'),
  })
  .meta({ id: 'TryFilterResult' });

/** The event a condition's prefilter is tried on when the caller gives none: the transcript's last turns. */
function eventFromTranscript(
  appId: string,
  transcript: Array<{ role: 'user' | 'assistant'; text: string }>,
): ChatEvent {
  return sampleEvent(appId, {
    type: 'message_sent',
    conversation_id: 'conv_try',
    user: { id: 'user_try', logged_in: true },
    message: [...transcript].reverse().find((t) => t.role === 'user')?.text,
    response: [...transcript].reverse().find((t) => t.role === 'assistant')?.text,
  });
}

/**
 * "Try this prompt" for the portal: judges one condition against a transcript the caller gives, with the same judge,
 * prompt and schema as real evaluations. Nothing is stored and nothing fires.
 */
export const conditionRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/conditions/try',
    operationId: 'tryCondition',
    tags: ['Conditions'],
    summary: 'Try a condition prompt against a transcript',
    description:
      'Judges one condition with the same LLM prompt and schema as real evaluations. Nothing is stored and nothing ' +
      'fires. With a `prefilter`, that runs first against `event`, and when it is false the LLM is not asked (as in ' +
      'real evaluations). 501 when this service has no LLM configured and the LLM is to be asked; 503 when the LLM is ' +
      'unreachable or rate-limited; 502 when it refuses or answers unusably; 422 for a prefilter that is not valid.',
    access: 'key',
    params: appParams,
    body: tryConditionBodySchema,
    responses: { 200: { description: 'The verdict.', schema: tryConditionResultSchema } },
    errors: ['llm_not_configured', 'llm_unavailable', 'llm_rejected', 'llm_output_unusable', 'invalid_filter'],
  }).handle(async ({ body }, ctx) => {
    let prefilter: { matched: boolean; error: string | null } | undefined;
    if (body.prefilter) {
      checkFilters([{ field: 'prefilter', expression: body.prefilter }]);
      const event = body.event ? sampleEvent(ctx.app.id, body.event) : eventFromTranscript(ctx.app.id, body.transcript);
      const outcome = evaluateFilter(body.prefilter, filterContext(event));
      prefilter = { matched: outcome.matched, error: 'error' in outcome ? outcome.error : null };
      if (!outcome.matched) {
        return {
          status: 200,
          body: {
            matched: false,
            reason: 'The prefilter is false for this event, so the LLM was not asked.',
            model: null,
            tokens: { prompt: null, completion: null },
            prefilter,
          },
        };
      }
    }
    const llm = ctx.deps.llm;
    if (!llm) {
      throw new ApiError(
        'llm_not_configured',
        'No LLM is configured on this service: its operator sets OPENAI_API_KEY, or OPENAI_BASE_URL for a local model',
      );
    }
    const outcome = await judgeConditions(
      llm.client,
      llm.model,
      [{ id: 'condition', prompt: body.prompt }],
      body.transcript,
    );
    switch (outcome.kind) {
      case 'verdicts': {
        const verdict = outcome.verdicts.get('condition');
        if (!verdict) throw new ApiError('llm_output_unusable', 'The LLM gave no verdict for the condition');
        return {
          status: 200,
          body: {
            matched: verdict.matched,
            reason: verdict.reason,
            model: outcome.model,
            tokens: { prompt: outcome.promptTokens, completion: outcome.completionTokens },
            ...(prefilter ? { prefilter } : {}),
          },
        };
      }
      case 'retryable':
        throw new ApiError(
          'llm_unavailable',
          outcome.reason,
          undefined,
          outcome.retryAfterMs !== undefined ? { 'retry-after': String(Math.ceil(outcome.retryAfterMs / 1000)) } : {},
        );
      case 'permanent':
        throw new ApiError('llm_rejected', outcome.reason);
      case 'malformed':
        throw new ApiError('llm_output_unusable', `The LLM's answer was unusable: ${outcome.reason}`);
      default: {
        const unreachable: never = outcome;
        throw new Error(`unhandled judge outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }),

  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/filters/try',
    operationId: 'tryFilter',
    tags: ['Conditions'],
    summary: 'Try a filter against a sample event',
    description:
      `Checks a webhook filter or condition prefilter (CEL) as saving it would, then runs it against \`event\`. ` +
      `Its variables: ${VARIABLES_DOC}. Absent text is "" and an absent user is not logged in. 422 invalid_filter ` +
      'names the problem and its position. Nothing is stored.',
    access: 'key',
    params: appParams,
    body: tryFilterBodySchema,
    responses: { 200: { description: 'Whether the event passes.', schema: tryFilterResultSchema } },
    errors: ['invalid_filter'],
  }).handle(async ({ body }, ctx) => {
    checkFilters([{ field: 'filter', expression: body.filter }]);
    const event = sampleEvent(
      ctx.app.id,
      body.event ?? {
        type: 'message_sent',
        conversation_id: 'conv_test',
        user: { id: 'user_test', email: 'user@example.com', name: 'John Doe', logged_in: true },
        message: 'User message',
        response: 'App response message',
      },
    );
    const outcome = evaluateFilter(body.filter, filterContext(event));
    return { status: 200, body: { matched: outcome.matched, error: 'error' in outcome ? outcome.error : null } };
  }),
];
