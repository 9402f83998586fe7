/**
 * Serves the document and a browsable reference, without a key: `GET /openapi.json`, and Swagger UI at `/docs/`
 * through swagger-ui-express, whose files come from the swagger-ui-dist package, so the page works offline.
 */
import express from 'express';
import swaggerUi from 'swagger-ui-express';

import { buildOpenApiDocument } from './document';

/** Mount at the root (or under a prefix: the page finds the document beside its own folder) before the API. */
export function createDocsRouter(): express.Router {
  const document = buildOpenApiDocument();
  const router = express.Router();

  router.get('/openapi.json', (_req, res) => {
    res.set('cache-control', 'no-cache').json(document);
  });

  const options = {
    customSiteTitle: `${document.info.title} API ${document.info.version}`,
    // Relative to /docs/, so the page follows the mount point. validatorUrl: null keeps it off swagger.io.
    swaggerOptions: { url: '../openapi.json', validatorUrl: null, deepLinking: true },
  };
  router.use('/docs', swaggerUi.serveFiles(undefined, options), swaggerUi.setup(undefined, options));
  return router;
}
