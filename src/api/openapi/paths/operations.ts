/**
 * The operational routes, all without a key (`security: []`): Prometheus metrics and the liveness and readiness
 * probes. Two functions rather than one because /metrics comes before the /v1 conditions and events routes in the
 * document's `paths`, and the probes after them; see document.ts.
 */
import { type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

import { type Components, json } from '../components';

export function registerMetricsPath(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tags: ['Health'],
    summary: 'Prometheus metrics of this process',
    security: [],
    responses: { 200: { description: 'Prometheus text format.', content: { 'text/plain': { schema: z.string() } } } },
  });
}

export function registerProbePaths(registry: OpenAPIRegistry, { schemas }: Components): void {
  const { Health, Readiness } = schemas;

  registry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'healthz',
    tags: ['Health'],
    summary: 'Liveness',
    security: [],
    responses: { 200: json(Health, 'The process answers.') },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    tags: ['Health'],
    summary: 'Readiness',
    description: 'Postgres and Temporal both answer within 2 s.',
    security: [],
    responses: { 200: json(Readiness, 'Ready.'), 503: json(Readiness, 'Postgres or Temporal is down.') },
  });
}
