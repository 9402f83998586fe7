/** Custom conditions: trying a prompt against a transcript, and how an event's conditions were judged. */
import { type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

import { appParams, body, type Components, json } from '../components';

export function registerConditionPaths(registry: OpenAPIRegistry, { schemas, errors }: Components): void {
  const { TryConditionBody, TryConditionResult, Evaluation } = schemas;

  registry.registerPath({
    method: 'post',
    path: '/v1/apps/{app_id}/conditions/try',
    operationId: 'tryCondition',
    tags: ['Conditions'],
    summary: 'Try a condition prompt against a transcript',
    description:
      'Judges one condition with the same LLM prompt and schema as real evaluations. Nothing is stored and nothing ' +
      'fires. 503 when no LLM is configured or it is unavailable; 502 when it refuses or answers unusably.',
    request: { params: appParams, body: body(TryConditionBody) },
    responses: {
      200: json(TryConditionResult, 'The verdict.'),
      ...errors(400, 401, 404, 415, 502, 503),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/v1/apps/{app_id}/evaluations/{event_id}',
    operationId: 'getEvaluation',
    tags: ['Conditions'],
    summary: "How an event's custom conditions were judged",
    description:
      'Outcome (evaluated, failed or skipped, with the reason), each verdict, the model, tokens and latency.',
    request: { params: appParams.extend({ event_id: z.string().describe('The event id the backend sent.') }) },
    responses: { 200: json(Evaluation, 'The evaluation.'), ...errors(401, 404) },
  });
}
