/** The operational routes, all without a key: liveness, readiness and Prometheus metrics. */
import { z } from 'zod';

import { defineRoute } from '../route';

const healthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

const readinessSchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ postgres: z.enum(['up', 'down']), temporal: z.enum(['up', 'down']) }),
  })
  .meta({ id: 'Readiness' });

type Check = 'up' | 'down';

export const operationRoutes = [
  defineRoute({
    method: 'get',
    path: '/healthz',
    operationId: 'healthz',
    tags: ['Health'],
    summary: 'Liveness',
    description: 'The process answers. Needs no key.',
    access: 'public',
    responses: { 200: { description: 'The process answers.', schema: healthSchema } },
  }).handle(() => ({ status: 200, body: { status: 'ok' } })),

  defineRoute({
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    tags: ['Health'],
    summary: 'Readiness',
    description: 'Postgres and Temporal both answer within 2 s. Needs no key; names no detail beyond up or down.',
    access: 'public',
    responses: {
      200: { description: 'Ready.', schema: readinessSchema },
      503: {
        description: 'Postgres or Temporal is down.',
        schema: readinessSchema,
        headers: z.object({ 'Retry-After': z.string().describe('Seconds to wait before asking again.') }),
      },
    },
  }).handle(async (_input, { deps }) => {
    const deadline = Date.now() + 2_000;
    const within = (check: Promise<unknown>): Promise<Check> =>
      Promise.race([
        check,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('timeout')), deadline - Date.now()).unref(),
        ),
      ]).then(
        () => 'up',
        () => 'down',
      );
    const temporalCheck = deps.temporal.client.connection.withDeadline(deadline, () =>
      deps.temporal.client.workflowService.getSystemInfo({}),
    );
    const [postgres, temporal] = await Promise.all([
      within(deps.db.query('SELECT 1')),
      // Dev mode's client shares a worker's native connection, which retries an unreachable server past the
      // deadline it is given: its answer is raced against the deadline. The gRPC client ends its own call then.
      deps.temporal.eagerStart
        ? within(temporalCheck)
        : temporalCheck.then(
            (): Check => 'up',
            (): Check => 'down',
          ),
    ]);
    const checks = { postgres, temporal };
    return postgres === 'up' && temporal === 'up'
      ? { status: 200, body: { status: 'ready', checks } }
      : { status: 503, headers: { 'retry-after': '5' }, body: { status: 'not_ready', checks } };
  }),

  defineRoute({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tags: ['Health'],
    summary: 'Prometheus metrics of this process',
    description: 'Needs no key: expose the API port\u2019s /metrics on an internal network only.',
    access: 'public',
    responses: { 200: { description: 'Prometheus text format.', schema: z.string(), contentType: 'text/plain' } },
  }).handle(async (_input, { deps, res }) => {
    res.type(deps.metrics.registry.contentType);
    return { status: 200, body: await deps.metrics.registry.metrics() };
  }),
];
