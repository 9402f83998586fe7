/**
 * Serves the document and a browsable reference, without a key: `GET /openapi.json`, and Swagger UI at `/docs/`
 * through swagger-ui-express, whose files come from the swagger-ui-dist package, so the page works offline.
 */
import express from 'express';
import swaggerUi from 'swagger-ui-express';

import { buildOpenApiDocument } from './document';

/** The page and the files it loads, as swagger-ui-express names them under /docs. */
const DOCS_FILES = new Set([
  '/',
  '/swagger-ui.css',
  '/swagger-ui-bundle.js',
  '/swagger-ui-standalone-preset.js',
  '/swagger-ui-init.js',
  '/favicon-32x32.png',
  '/favicon-16x16.png',
]);

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
  // swagger-ui-express serves all of swagger-ui-dist; only what the page loads is let through (not the stock
  // index.html, which would load the Petstore from the internet, nor the source maps).
  router.use('/docs', (req, _res, next) => {
    if ((req.method === 'GET' || req.method === 'HEAD') && DOCS_FILES.has(req.path)) return next();
    next('router');
  });
  router.use('/docs', swaggerUi.serveFiles(undefined, options), swaggerUi.setup(undefined, options));
  return router;
}
