/** GET /v1/apps/{app_id}/evaluations/{event_id}: how an event's custom conditions were judged. */
import { z } from 'zod';

import { findEvaluation } from '../../db/queries/conditions';
import { notFound } from '../errors';
import { appParams } from '../fields';
import { defineRoute } from '../route';

/** Event ids are the caller's: any text without control characters (see the events schema). */
/** Lengths in code points, as zod counts them, so that every id an event was accepted with can be looked up. */
const isPlausibleEventId = (id: string) => id.length > 0 && [...id].length <= 200 && !/[\u0000-\u001f\u007f]/.test(id);

export const evaluationSchema = z
  .object({
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
  })
  .meta({ id: 'Evaluation' });

export const evaluationRoutes = [
  defineRoute({
    method: 'get',
    path: '/v1/apps/{app_id}/evaluations/{event_id}',
    operationId: 'getEvaluation',
    tags: ['Conditions'],
    summary: "How an event's custom conditions were judged",
    description:
      'Outcome (evaluated, failed or skipped, with the reason), each verdict, the model, tokens and latency.',
    access: 'key',
    params: appParams.extend({ event_id: z.string().describe('The event id the backend sent.') }),
    responses: { 200: { description: 'The evaluation.', schema: evaluationSchema } },
  }).handle(async ({ params }, ctx) => {
    const eventId = params.event_id;
    const e = isPlausibleEventId(eventId) ? await findEvaluation(ctx.deps.db, ctx.app.id, eventId) : undefined;
    if (!e) throw notFound(`Evaluation for event ${eventId}`);
    return {
      status: 200,
      body: {
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
      },
    };
  }),
];
