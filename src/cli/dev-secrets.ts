/**
 * Dev mode's generated secrets: made once, kept under DATA_DIR with owner-only permissions, reused on every start.
 * Production never comes here: there, the values come from the environment or start-up fails.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Reads `DATA_DIR/<name>`, or creates it with `generate()`. `created` tells the caller to show it once. */
export function loadOrCreateDevSecret(
  dataDir: string,
  name: string,
  generate: () => string,
): { value: string; file: string; created: boolean } {
  const file = path.join(dataDir, name);
  try {
    return { value: fs.readFileSync(file, 'utf8').trim(), file, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const value = generate();
  // 'wx' fails if another process created the file meanwhile; then its value wins.
  try {
    fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return { value: fs.readFileSync(file, 'utf8').trim(), file, created: false };
    throw error;
  }
  return { value, file, created: true };
}
