/**
 * Builds the API's OpenAPI 3.1 document from the same zod schemas the routes parse with.
 *
 * Request bodies are the routes' own exported schemas, documented as their input shape (a field with `.default()` is
 * optional; `.refine()` rules are not expressible and stay in the prose). Response shapes are in response-schemas.ts;
 * the unit test checks them against `appJson`/`webhookJson` and checks that every route the app registers is
 * documented here.
 */
import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

import { CHAT_EVENT_TYPES } from '../../domain/events';
import { VERSION } from '../../version';
import { registerComponents } from './components';
import { registerAppPaths } from './paths/apps';
import { registerConditionPaths } from './paths/conditions';
import { registerDeliveryPaths } from './paths/deliveries';
import { registerEventPaths } from './paths/events';
import { registerMetricsPath, registerProbePaths } from './paths/operations';
import { registerWebhookPaths } from './paths/webhooks';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

function buildDocument(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  const components = registerComponents(registry);

  // Registration order is the order of the document's `paths`, and of components/schemas too (the generator lists a
  // named schema where it first meets it). It is kept as it was when this was one file, /metrics included, so that
  // splitting the file did not change the document; a new route may go wherever it reads best.
  registerAppPaths(registry, components);
  registerWebhookPaths(registry, components);
  registerDeliveryPaths(registry, components);
  registerMetricsPath(registry);
  registerConditionPaths(registry, components);
  registerEventPaths(registry, components);
  registerProbePaths(registry, components);

  try {
    return generate(registry, components.securityScheme);
  } finally {
    components.release();
  }
}

function generate(registry: OpenAPIRegistry, securityScheme: string): OpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'chat-webhooks',
      version: VERSION,
      description:
        'Durable webhook delivery for AI chat apps. Every `/v1` route needs `Authorization: Bearer <key>`. ' +
        'Errors answer `{ "error": { "code", "message", "details"? } }`. Chat event types: ' +
        `${CHAT_EVENT_TYPES.join(', ')}.`,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    security: [{ [securityScheme]: [] }],
    tags: [
      { name: 'Apps', description: 'Apps and their keys.' },
      { name: 'Webhooks', description: 'Where events of an app are delivered.' },
      { name: 'Events', description: 'Chat events posted by the platform backend.' },
      { name: 'Deliveries', description: 'The delivery log: what was sent where, and what each attempt got back.' },
      { name: 'Health', description: 'Probes; no key needed.' },
    ],
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

let cached: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document, built once and frozen. */
export function buildOpenApiDocument(): OpenApiDocument {
  cached ??= deepFreeze(buildDocument());
  return cached;
}
