/**
 * A fresh, migrated database for one test file: a new database on DATABASE_URL's server when it is set (CI's real
 * Postgres), an in-memory PGlite served over a socket otherwise.
 */
import crypto from 'node:crypto';

import pg from 'pg';

import { startEmbeddedPostgres } from '../../src/db/embedded';
import { migrate } from '../../src/db/migrate';
import { createPool, type Db } from '../../src/db/pool';

export interface TestDatabase {
  url: string;
  pool: Db;
  kind: 'postgres' | 'pglite';
  stop(): Promise<void>;
}

export async function createTestDatabase(
  opts: { forceEmbedded?: boolean; poolMax?: number } = {},
): Promise<TestDatabase> {
  const poolMax = opts.poolMax ?? 10;
  const serverUrl = opts.forceEmbedded ? undefined : process.env.DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres({ maxConnections: poolMax + 10 });
    await migrate(embedded.url);
    const pool = createPool(embedded.url, poolMax);
    return {
      url: embedded.url,
      pool,
      kind: 'pglite',
      async stop() {
        await pool.end();
        await embedded.stop();
      },
    };
  }
  const name = `cw_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await migrate(url.href);
  const pool = createPool(url.href, poolMax);
  return {
    url: url.href,
    pool,
    kind: 'postgres',
    async stop() {
      await pool.end();
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
