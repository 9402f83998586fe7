/**
 * Dev mode's example of embedding: a platform's settings page, served from another origin (its own port), that puts
 * a portal link in an iframe. It shows that the portal works cross-origin and what a platform writes
 * (portal/embed-example/). Nothing here runs in production.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { closeServer, listen } from '../composition';
import { PACKAGE_ROOT } from '../package-root';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/embed.js': { file: 'embed.js', type: 'text/javascript; charset=utf-8' },
  '/embed.css': { file: 'embed.css', type: 'text/css; charset=utf-8' },
};

export async function startPortalExample(options: {
  port: number;
  host?: string;
}): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = path.join(PACKAGE_ROOT, 'portal', 'embed-example');
  const server = http.createServer((req, res) => {
    const entry = FILES[new URL(req.url ?? '/', 'http://x').pathname];
    if (!entry || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    res
      .writeHead(200, {
        'content-type': entry.type,
        'cache-control': 'no-cache',
        'content-security-policy': "default-src 'self'; frame-src *; object-src 'none'; base-uri 'none'",
        'referrer-policy': 'no-referrer',
      })
      .end(fs.readFileSync(path.join(dir, entry.file)));
  });
  await listen(server, options.port, options.host ?? '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, stop: () => closeServer(server) };
}
