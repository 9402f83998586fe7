/**
 * What the path files share: the bearer security scheme, the named schemas (components/schemas), the path
 * parameters of nested routes, and helpers that spell a JSON response, a JSON body and the error responses the same
 * way on every operation.
 */
import { type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

import { chatEventBodySchema } from '../../domain/event-body';
import { createAppBodySchema, updateAppBodySchema } from '../routes/apps';
import { tryConditionBodySchema, tryConditionResultSchema } from '../routes/conditions';
import {
  deliveryAttemptSchema,
  deliveryDetailSchema,
  deliverySummarySchema,
  replayResultSchema,
} from '../routes/deliveries';
import { evaluationSchema } from '../routes/evaluations';
import { webhookStatsSchema } from '../routes/webhook-stats';
import {
  createWebhookBodySchema,
  recoverBodySchema,
  recoveryProgressSchema,
  recoveryStartedSchema,
  updateWebhookBodySchema,
} from '../routes/webhooks';
import {
  appSchema,
  appWithKeySchema,
  errorSchema,
  eventAcceptedSchema,
  healthSchema,
  listOf,
  readinessSchema,
  rotatedSecretSchema,
  testSendResultSchema,
  webhookSchema,
  webhookSecretSchema,
  webhookUpdatedSchema,
  webhookWithSecretSchema,
} from './response-schemas';

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid request: bad JSON, or a field that breaks a rule (details names each).',
  401: 'No key, or a key the service does not know.',
  403: 'Only the admin key can do this.',
  404: 'No such app, webhook or delivery, or the key does not reach it.',
  409: "The request conflicts with the resource's state (e.g. its webhook is disabled or deleted).",
  413: 'The body is larger than 256 KB.',
  415: 'The body is not application/json, or its encoding is not supported.',
  502: 'The LLM refused the request or answered unusably.',
  503: 'A service this needs (the workflow engine, the LLM) is unreachable or not configured; nothing was done.',
};

export const appParams = z.object({ app_id: z.string().describe('The app id (app_...).') });
export const webhookParams = appParams.extend({ webhook_id: z.string().describe('The webhook id (wh_...).') });

export const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema } } });

/**
 * Registers the security scheme and names the schemas for one build of the document. The named schemas are copies
 * filed in zod's global registry, so the caller must call `release()` once the document is generated.
 */
export function registerComponents(registry: OpenAPIRegistry) {
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'The admin key (reaches every app) or an app key (cwk_..., reaches its own app).',
  });

  // A schema named with zod's `.meta({ id })` becomes a component that the document references. `.meta` makes a copy
  // and files it in zod's global registry, where an id may be used once: the copies are taken out again at the end.
  const namedCopies: z.ZodType[] = [];
  const named = <T extends z.ZodType>(id: string, schema: T, extra: Record<string, unknown> = {}): T => {
    const copy = schema.meta({ ...extra, id }) as T;
    namedCopies.push(copy);
    return copy;
  };

  const App = named('App', appSchema);
  const AppWithKey = named('AppWithKey', appWithKeySchema);
  const AppList = named('AppList', listOf(App));
  const Webhook = named('Webhook', webhookSchema);
  const WebhookWithSecret = named('WebhookWithSecret', webhookWithSecretSchema);
  const WebhookList = named('WebhookList', listOf(Webhook));
  const WebhookUpdated = named('WebhookUpdated', webhookUpdatedSchema);
  const TryConditionBody = named('TryConditionBody', tryConditionBodySchema);
  const TryConditionResult = named('TryConditionResult', tryConditionResultSchema);
  const Evaluation = named('Evaluation', evaluationSchema);
  const ReplayResult = named('ReplayResult', replayResultSchema);
  const RecoverBody = named('RecoverBody', recoverBodySchema);
  const RecoveryStarted = named('RecoveryStarted', recoveryStartedSchema);
  const RecoveryProgress = named('RecoveryProgress', recoveryProgressSchema);
  const WebhookSecret = named('WebhookSecret', webhookSecretSchema);
  const RotatedSecret = named('RotatedSecret', rotatedSecretSchema);
  const TestSendResult = named('TestSendResult', testSendResultSchema);
  const EventAccepted = named('EventAccepted', eventAcceptedSchema);
  const ErrorBody = named('Error', errorSchema);
  const Health = named('Health', healthSchema);
  const Readiness = named('Readiness', readinessSchema);
  const DeliveryAttempt = named('DeliveryAttempt', deliveryAttemptSchema);
  const DeliverySummary = named('DeliverySummary', deliverySummarySchema);
  const DeliveryList = named('DeliveryList', listOf(DeliverySummary));
  const DeliveryDetail = named('DeliveryDetail', deliveryDetailSchema.extend({ attempts: z.array(DeliveryAttempt) }));
  const WebhookStats = named('WebhookStats', webhookStatsSchema);

  // The routes' own request schemas. Naming one makes a copy; the routes' originals are untouched.
  const CreateAppBody = named('CreateAppBody', createAppBodySchema);
  // The update bodies' `.refine` (send at least one field) has no JSON Schema form of its own: minProperties says it.
  const UpdateAppBody = named('UpdateAppBody', updateAppBodySchema, { minProperties: 1 });
  const CreateWebhookBody = named('CreateWebhookBody', createWebhookBodySchema);
  const UpdateWebhookBody = named('UpdateWebhookBody', updateWebhookBodySchema, { minProperties: 1 });
  const ChatEventBody = named('ChatEventBody', chatEventBodySchema);

  // Not a module-level helper like json/body: it references this build's copy of the Error schema.
  const errors = (...codes: number[]) =>
    Object.fromEntries(
      codes.map((code) => [
        code,
        {
          ...json(ErrorBody, ERROR_TEXT[code] ?? 'Error.'),
          ...(code === 503 ? { headers: z.object({ 'Retry-After': z.string().describe('Seconds to wait: 5.') }) } : {}),
        },
      ]),
    );

  return {
    securityScheme: bearer.name,
    errors,
    schemas: {
      App,
      AppWithKey,
      AppList,
      Webhook,
      WebhookWithSecret,
      WebhookList,
      WebhookUpdated,
      TryConditionBody,
      TryConditionResult,
      Evaluation,
      ReplayResult,
      RecoverBody,
      RecoveryStarted,
      RecoveryProgress,
      WebhookSecret,
      RotatedSecret,
      TestSendResult,
      EventAccepted,
      Health,
      Readiness,
      DeliveryAttempt,
      DeliverySummary,
      DeliveryList,
      DeliveryDetail,
      WebhookStats,
      CreateAppBody,
      UpdateAppBody,
      CreateWebhookBody,
      UpdateWebhookBody,
      ChatEventBody,
    },
    /** Takes this build's named copies out of zod's global registry, so that a later build may name them again. */
    release(): void {
      for (const copy of namedCopies) z.globalRegistry.remove(copy);
    },
  };
}

export type Components = ReturnType<typeof registerComponents>;
