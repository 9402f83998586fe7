/**
 * `npm start` on a fresh clone serves the portal without a separate build step: when portal/dist is missing, dev mode
 * builds it first with the project's own Vite config (setup.sh rebuilds it whenever its sources changed).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { PORTAL_DIST_DIR } from '../api/portal';
import type { Logger } from '../logger';
import { PACKAGE_ROOT } from '../package-root';

export function ensurePortalBuilt(logger: Logger): void {
  if (fs.existsSync(path.join(PORTAL_DIST_DIR, 'index.html'))) return;
  let vite: string;
  try {
    vite = require.resolve('vite/bin/vite.js', { paths: [PACKAGE_ROOT] });
  } catch {
    logger.warn('the portal is not built and Vite is not installed (npm ci installs it): /portal answers 503');
    return;
  }
  logger.info('building the portal (first start)');
  const result = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'portal/vite.config.mts', '--logLevel', 'warn'],
    {
      cwd: PACKAGE_ROOT,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) logger.warn({ status: result.status }, 'the portal build failed: /portal answers 503');
}
