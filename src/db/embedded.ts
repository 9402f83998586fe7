import fs from 'node:fs';
import path from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Embedded Postgres for dev and tests: PGlite served over the Postgres wire protocol, so the same `pg` code runs on it
 * and on real Postgres. `dataDir` undefined keeps the database in memory.
 *
 * PGlite runs one query at a time; the socket server queues the rest. `maxConnections` must exceed every pool that
 * connects (the default of 1 breaks any pool larger than one).
 */
export async function startEmbeddedPostgres(opts: {
  dataDir?: string;
  maxConnections: number;
  port?: number;
}): Promise<EmbeddedPostgres> {
  if (opts.dataDir) fs.mkdirSync(opts.dataDir, { recursive: true });
  const db = await PGlite.create(opts.dataDir ? path.resolve(opts.dataDir) : undefined);
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: opts.port ?? 0,
    maxConnections: opts.maxConnections,
  });
  await server.start();
  const [, port] = server.getServerConn().split(':');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
