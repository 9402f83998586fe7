// The app-owner portal: built into portal/dist, which the API serves at /portal/ under a strict CSP
// (script-src 'self', style-src 'self'), so the build must emit no inline script or style.
import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const API = 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/portal/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The polyfill is an inline script, which the CSP refuses; every supported browser preloads modules itself.
    modulePreload: { polyfill: false },
    // Keep every asset a file: a data: URL for a font or script would need a CSP exception.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { '/v1': API, '/openapi.json': API },
  },
});
