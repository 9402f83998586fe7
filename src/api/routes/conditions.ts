/** POST /v1/apps/{app_id}/conditions/try: judge a condition prompt against a transcript, storing nothing. */
import { z } from 'zod';

import { nonBlankText, text } from '../../domain/event-body';
import { judgeConditions } from '../../llm/judge';
import { ApiError } from '../errors';
import { appParams } from '../fields';
import { BODY_LIMIT_TEXT } from '../limits';
import { defineRoute } from '../route';

export const tryConditionBodySchema = z
  .strictObject({
    prompt: nonBlankText(1000).describe('The condition to try: "When a user asks about pricing".'),
    transcript: z
      .array(z.strictObject({ role: z.enum(['user', 'assistant']), text: text(20_000).min(1) }))
      .min(1)
      .max(200)
      .describe(`The conversation to judge, oldest turn first. The whole body is at most ${BODY_LIMIT_TEXT}.`),
  })
  .meta({ id: 'TryConditionBody' });

export const tryConditionResultSchema = z
  .object({
    matched: z.boolean(),
    reason: z.string().describe("The judge's one-sentence reason."),
    model: z.string(),
    tokens: z.object({ prompt: z.number().int().nullable(), completion: z.number().int().nullable() }),
  })
  .meta({ id: 'TryConditionResult' });

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
      'fires. 501 when this service has no LLM configured; 503 when the LLM is unreachable or rate-limited; 502 when ' +
      'it refuses or answers unusably.',
    access: 'key',
    params: appParams,
    body: tryConditionBodySchema,
    responses: { 200: { description: 'The verdict.', schema: tryConditionResultSchema } },
    errors: ['llm_not_configured', 'llm_unavailable', 'llm_rejected', 'llm_output_unusable'],
  }).handle(async ({ body }, ctx) => {
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
];
