import { Router } from 'express';
import { z } from 'zod';

import { judgeConditions, type LlmClient } from '../../llm/judge';
import { requireJson } from '../auth';
import { ApiError, parseOr400 } from '../errors';

export const tryConditionBodySchema = z.strictObject({
  prompt: z.string().trim().min(1).max(1000).describe('The condition to try: "When a user asks about pricing".'),
  transcript: z
    .array(z.strictObject({ role: z.enum(['user', 'assistant']), text: z.string().min(1).max(20_000) }))
    .min(1)
    .max(200)
    .describe('The conversation to judge, oldest turn first.'),
});

export const tryConditionResultSchema = z.object({
  matched: z.boolean(),
  reason: z.string().describe("The judge's one-sentence reason."),
  model: z.string(),
  tokens: z.object({ prompt: z.number().int().nullable(), completion: z.number().int().nullable() }),
});

/**
 * "Try this prompt" for the dashboard: judges one condition against a transcript the caller gives, with the same
 * judge, prompt and schema as real evaluations. Nothing is stored and nothing fires.
 */
export function createConditionsRouter(deps: { llm: LlmClient | undefined }): Router {
  const router = Router({ mergeParams: true });

  router.post('/try', requireJson, async (req, res) => {
    const body = parseOr400(tryConditionBodySchema, req.body);
    if (!deps.llm) {
      throw new ApiError(
        503,
        'llm_not_configured',
        'No LLM is configured: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local model',
      );
    }
    const outcome = await judgeConditions(
      deps.llm.client,
      deps.llm.model,
      [{ id: 'condition', prompt: body.prompt }],
      body.transcript,
    );
    switch (outcome.kind) {
      case 'verdicts': {
        const verdict = outcome.verdicts.get('condition');
        if (!verdict) throw new ApiError(502, 'llm_output_unusable', 'The LLM gave no verdict for the condition');
        res.json({
          matched: verdict.matched,
          reason: verdict.reason,
          model: outcome.model,
          tokens: { prompt: outcome.promptTokens, completion: outcome.completionTokens },
        });
        return;
      }
      case 'retryable':
        if (outcome.retryAfterMs !== undefined) res.set('retry-after', String(Math.ceil(outcome.retryAfterMs / 1000)));
        throw new ApiError(503, 'llm_unavailable', outcome.reason);
      case 'permanent':
        throw new ApiError(502, 'llm_rejected', outcome.reason);
      case 'malformed':
        throw new ApiError(502, 'llm_output_unusable', `The LLM's answer was unusable: ${outcome.reason}`);
      default: {
        const unreachable: never = outcome;
        throw new Error(`unhandled judge outcome ${JSON.stringify(unreachable)}`);
      }
    }
  });

  return router;
}
