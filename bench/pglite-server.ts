/**
 * The embedded Postgres (PGlite over the wire protocol) when DATABASE_URL is unset, in its own process so that its
 * single-threaded work neither slows the load generator nor hides in its CPU figures.
 */
import { startEmbeddedPostgres } from '../src/db/embedded';

async function main() {
  const db = await startEmbeddedPostgres({ maxConnections: 120 });
  process.stdout.write(`${JSON.stringify({ ready: true, url: db.url })}\n`);
  process.on('SIGTERM', () => void db.stop().finally(() => process.exit(0)));
  process.on('disconnect', () => void db.stop().finally(() => process.exit(0)));
}

void main();
