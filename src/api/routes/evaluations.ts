import { Router } from 'express';
import { z } from 'zod';

import type { Db } from '../../db/pool';
import { findEvaluation } from '../../db/queries/conditions';
import { scopedApp } from '../auth';
import { notFound } from '../errors';

/** Event ids are the caller's: any text without control characters (see the events schema). */
const isPlausibleEventId = (id: string) => id.length > 0 && id.length <= 200 && !/[\u0000-\u001f\u007f]/.test(id);

export const evaluationSchema = z.object({
  event_id: z.string(),
  conversation_id: z.string().nullable(),
  workflow_id: z.string(),
  outcome: z.enum(['evaluated', 'failed', 'skipped']),
  reason: z.string().nullable().describe('Why the evaluation failed or was skipped, e.g. "no LLM configured".'),
  model: z.string().nullable(),
  prompt_tokens: z.number().int().nullable(),
  completion_tokens: z.number().int().nullable(),
  latency_ms: z.number().int().nullable(),
  verdicts: z.array(
    z.object({
      condition_id: z.string(),
      webhook_id: z.string(),
      matched: z.boolean().optional(),
      reason: z.string().nullable().optional(),
      evaluated: z.boolean().optional().describe('false when the judge gave no verdict for this condition.'),
    }),
  ),
  created_at: z.iso.datetime({ offset: true }),
});

/** The record of how an event's custom conditions were judged: verdicts, model, tokens, latency. */
export function createEvaluationsRouter(deps: { db: Db }): Router {
  const router = Router({ mergeParams: true });
  router.get('/:event_id', async (req, res) => {
    const eventId = req.params.event_id as string;
    const e = isPlausibleEventId(eventId) ? await findEvaluation(deps.db, scopedApp(res).id, eventId) : undefined;
    if (!e) throw notFound(`Evaluation for event ${req.params.event_id}`);
    res.json({
      event_id: e.eventId,
      conversation_id: e.conversationId,
      workflow_id: e.workflowId,
      outcome: e.outcome,
      reason: e.reason,
      model: e.model,
      prompt_tokens: e.promptTokens,
      completion_tokens: e.completionTokens,
      latency_ms: e.latencyMs,
      verdicts: e.verdicts as z.input<typeof evaluationSchema>['verdicts'],
      created_at: e.created_at.toISOString(),
    } satisfies z.input<typeof evaluationSchema>);
  });
  return router;
}
