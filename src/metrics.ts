/**
 * Prometheus metrics, through prom-client. Each process (api, worker, or dev's single process) owns one registry and
 * serves it at GET /metrics.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'chat_webhooks_' });
  return {
    registry,
    eventsAccepted: new Counter({
      name: 'chat_webhooks_events_accepted_total',
      help: 'Chat events accepted by the API, by type.',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    eventsRateLimited: new Counter({
      name: 'chat_webhooks_events_rate_limited_total',
      help: 'Chat events refused with 429 because their app was over its quota (nothing was written for them).',
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'chat_webhooks_deliveries_total',
      help: 'Deliveries that ended, by outcome (succeeded, failed, skipped).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'chat_webhooks_delivery_attempts_total',
      help: 'Delivery attempts, by result (2xx, 4xx, 5xx, 3xx, or the network error class).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    attemptDuration: new Histogram({
      name: 'chat_webhooks_delivery_attempt_duration_seconds',
      help: 'Time from sending a delivery attempt to the end of its answer.',
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    endToEndLatency: new Histogram({
      name: 'chat_webhooks_delivery_latency_seconds',
      help: 'From the event occurring to its delivery succeeding (first delivery only, not replays).',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36000, 100800],
      registers: [registry],
    }),
    webhooksDisabled: new Counter({
      name: 'chat_webhooks_webhooks_disabled_total',
      help: 'Webhooks the service disabled, by reason (gone, failing).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    conditionEvaluations: new Counter({
      name: 'chat_webhooks_condition_evaluations_total',
      help: 'Custom-condition evaluations, by outcome (evaluated, failed, skipped).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    llmTokens: new Counter({
      name: 'chat_webhooks_llm_tokens_total',
      help: 'Tokens the condition judge used, by kind (prompt, completion).',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
