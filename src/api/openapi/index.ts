/**
 * The API's OpenAPI 3.1 document and its browsable reference. `createDocsRouter()` serves `GET /openapi.json` and
 * the Swagger UI at `/docs`, without a key: mount it before the `/v1` router.
 *
 * document.ts builds the document from components.ts (named schemas, security, shared responses) and one file per
 * group of routes under paths/; response-schemas.ts holds the answer shapes, exported for the unit test.
 */
export { createDocsRouter } from './docs-router';
export { buildOpenApiDocument, type OpenApiDocument } from './document';
export {
  appSchema,
  appWithKeySchema,
  conditionSchema,
  errorSchema,
  eventAcceptedSchema,
  healthSchema,
  privacySettingsSchema,
  readinessSchema,
  rotatedSecretSchema,
  testSendResultSchema,
  webhookSchema,
  webhookSecretSchema,
  webhookUpdatedSchema,
  webhookWithSecretSchema,
} from './response-schemas';
