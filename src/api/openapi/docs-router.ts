/**
 * Serves the document and a browsable reference: `GET /openapi.json` and the Swagger UI at `/docs`, without a key.
 * Swagger UI's files come from the swagger-ui-dist package, so the page works offline.
 */
import fs from 'node:fs';
import path from 'node:path';

import express from 'express';

import { VERSION } from '../../version';
import { buildOpenApiDocument } from './document';

/** The swagger-ui-dist files the page loads; nothing else of that package is served. */
const SWAGGER_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

function swaggerUiDir(): string {
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

function docsPage(rawBase: string): string {
  const base = escapeHtml(rawBase);
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>chat-webhooks API ${escapeHtml(VERSION)}</title>
  <link rel="stylesheet" href="${base}/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="${base}/docs/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="${base}/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${base}/docs/swagger-ui-bundle.js"></script>
  <script src="${base}/docs/swagger-initializer.js"></script>
</body>
</html>
`;
}

function initializer(base: string): string {
  // validatorUrl: null keeps the page from calling the public swagger.io validator.
  return `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(`${base}/openapi.json`)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
};
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * `GET /openapi.json` and the reference at `GET /docs`, both without a key. Mount at the root (or under a prefix:
 * the page's links follow the mount point) before the `/v1` router.
 */
export function createDocsRouter(): express.Router {
  const document = buildOpenApiDocument();
  const assetsDir = swaggerUiDir();
  for (const file of Object.keys(SWAGGER_ASSETS)) {
    if (!fs.existsSync(path.join(assetsDir, file))) throw new Error(`swagger-ui-dist is missing ${file}`);
  }

  const router = express.Router({ strict: false });

  router.get('/openapi.json', (_req, res) => {
    res.set('cache-control', 'no-cache').json(document);
  });

  router.get('/docs', (req, res) => {
    res.set('cache-control', 'no-cache').type('html').send(docsPage(req.baseUrl));
  });

  router.get('/docs/swagger-initializer.js', (req, res) => {
    res.set('cache-control', 'no-cache').type('text/javascript; charset=utf-8').send(initializer(req.baseUrl));
  });

  router.get('/docs/:file', (req, res, next) => {
    const file = req.params.file;
    const type = Object.hasOwn(SWAGGER_ASSETS, file) ? SWAGGER_ASSETS[file] : undefined;
    if (!type) return next();
    res.type(type).sendFile(file, { root: assetsDir, maxAge: '1d', dotfiles: 'deny' }, (error) => {
      if (error && !res.headersSent) next(error);
    });
  });

  return router;
}
