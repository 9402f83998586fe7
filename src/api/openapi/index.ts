/** The API's OpenAPI 3.1 document, built from the route declarations, and the router that serves it with its reference. */
export { createDocsRouter } from './docs-router';
export { buildOpenApiDocument, type OpenApiDocument } from './document';
