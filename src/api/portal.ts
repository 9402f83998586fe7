/**
 * Serves the app-owner portal (portal/dist, built by `npm run portal:build`) at /portal/. It is a static single-page
 * app: every /portal/* path that is not a file answers its index.html, and the app reads the session token from the
 * URL fragment, which never reaches this server. Every answer carries a strict Content-Security-Policy: scripts and
 * styles only from this origin (so no inline script runs), API calls only to this origin, and frame-ancestors from
 * PORTAL_FRAME_ANCESTORS, so only the platform's own pages can embed it.
 */
import fs from 'node:fs';
import path from 'node:path';

import compression from 'compression';
import express from 'express';

import { PACKAGE_ROOT } from '../package-root';

/** Where `npm run portal:build` writes the portal. */
export const PORTAL_DIST_DIR = path.join(PACKAGE_ROOT, 'portal', 'dist');

export interface PortalOptions {
  /** The built portal: index.html and assets/. */
  distDir: string;
  /** CSP frame-ancestors sources, already validated by the config. */
  frameAncestors: readonly string[];
}

export function portalContentSecurityPolicy(frameAncestors: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors.join(' ')}`,
  ].join('; ');
}

export function createPortalRouter(options: PortalOptions): express.Router {
  const router = express.Router();
  const csp = portalContentSecurityPolicy(options.frameAncestors);
  const indexFile = path.join(options.distDir, 'index.html');

  // The page and its assets go gzipped (expressjs/compression): the first load is mostly JavaScript.
  router.use('/portal', compression());
  router.use('/portal', (_req, res, next) => {
    res.set({
      'content-security-policy': csp,
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'cross-origin-opener-policy': 'same-origin',
    });
    next();
  });
  // The fragment (#token=...) survives a redirect, so a link without the slash still opens the portal.
  router.get('/portal', (req, res, next) => {
    if (req.path !== '/portal') return next();
    res.redirect(301, '/portal/');
  });
  router.use(
    '/portal/assets',
    // File names carry a hash of their content (Vite), so they never change under the same name.
    express.static(path.join(options.distDir, 'assets'), { immutable: true, maxAge: '1y' }),
  );
  // An asset that is not there is a 404, not the page: a script tag must not load HTML.
  router.use('/portal/assets', (_req, res) => {
    res.status(404).type('text/plain').send('Not found\n');
  });
  router.use('/portal', express.static(options.distDir, { index: false, maxAge: 0 }));
  router.get('/portal/{*rest}', (_req, res) => {
    if (!fs.existsSync(indexFile)) {
      res
        .status(503)
        .type('text/plain')
        .send('The portal is not built yet: run `npm run portal:build` (setup and `npm start` do it).\n');
      return;
    }
    res.set('cache-control', 'no-cache').sendFile(indexFile);
  });
  return router;
}
