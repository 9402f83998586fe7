import fs from 'node:fs';
import path from 'node:path';

/**
 * The folder holding package.json and migrations/, found by walking up from this file, so paths hold both when the
 * sources run through tsx (src/) and when the build runs (dist/src/).
 */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'migrations'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package root (package.json beside migrations/) above ${start}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(__dirname);
