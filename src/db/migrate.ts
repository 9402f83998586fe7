import path from 'node:path';

import { PACKAGE_ROOT } from '../package-root';

export const MIGRATIONS_DIR = path.join(PACKAGE_ROOT, 'migrations');

/** Applies every pending migration in `migrations/`, under node-pg-migrate's advisory lock, so concurrent runs are safe. */
export async function migrate(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  // node-pg-migrate is an ES module; a dynamic import loads it from this CommonJS code.
  const { runner } = await import('node-pg-migrate');
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    count: Infinity,
    singleTransaction: true,
    log,
    verbose: false,
  });
  return applied.map((m) => m.name);
}
