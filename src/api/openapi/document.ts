/**
 * Builds the API's OpenAPI 3.1 document from the route declarations (routes/, through route.ts's registerRoutes):
 * the same zod schemas the routes parse with and answer in, the same error codes they can answer.
 */
import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

import { CHAT_EVENT_TYPES } from '../../domain/events';
import { VERSION } from '../../version';
import { API_ERRORS } from '../error-codes';
import { registerRoutes } from '../route';
import { API_ROUTES } from '../routes';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

function buildDocument(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'The admin key (reaches every app) or an app key (cwk_..., reaches its own app).',
  });
  registerRoutes(registry, API_ROUTES);
  const errorList = Object.entries(API_ERRORS)
    .map(([code, { status, meaning }]) => `| \`${code}\` | ${status} | ${meaning} |`)
    .join('\n');
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'chat-webhooks',
      version: VERSION,
      description:
        'Durable webhook delivery for AI chat apps. Every `/v1` route needs `Authorization: Bearer <key>`. ' +
        `Chat event types: ${CHAT_EVENT_TYPES.join(', ')}.\n\n` +
        'Errors answer `{ "error": { "code", "message", "details"? } }`; each operation lists the codes it can ' +
        'answer. A path asked with a method it does not support answers 405 with `Allow`. Every 503 carries ' +
        '`Retry-After`.\n\n| code | status | meaning |\n| --- | --- | --- |\n' +
        errorList,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    security: [{ [bearer.name]: [] }],
    tags: [
      { name: 'Apps', description: 'Apps and their keys.' },
      { name: 'Webhooks', description: 'Where events of an app are delivered.' },
      { name: 'Events', description: 'Chat events posted by the platform backend.' },
      { name: 'Deliveries', description: 'The delivery log: what was sent where, and what each attempt got back.' },
      { name: 'Conditions', description: 'Custom conditions: trying a prompt, and how an event was judged.' },
      { name: 'Health', description: 'Probes and metrics; no key needed.' },
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
