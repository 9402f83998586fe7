import { z } from 'zod';
import { ApiError } from './errors';

/** `?limit=&cursor=` on every list route. */
export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

/** Cursors are opaque to callers: base64url of the last row's (created_at, id). */
export function encodeCursor(row: { created_at: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): { createdAt: Date; id: string } | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new ApiError(400, 'validation_failed', 'Invalid request query: cursor: not a cursor this API returned', [
      { field: 'cursor', message: 'not a cursor this API returned' },
    ]);
  }
}

/** Fetches limit + 1 rows to learn whether another page exists, and answers `{ data, next_cursor }`. */
export async function page<Row extends { created_at: Date; id: string }, Out>(
  query: { limit: number; cursor?: string },
  fetch: (p: { limit: number; after?: { createdAt: Date; id: string } }) => Promise<Row[]>,
  toJson: (row: Row) => Out,
): Promise<{ data: Out[]; next_cursor: string | null }> {
  const rows = await fetch({ limit: query.limit + 1, after: decodeCursor(query.cursor) });
  const data = rows.slice(0, query.limit);
  const last = data.at(-1);
  return { data: data.map(toJson), next_cursor: rows.length > query.limit && last ? encodeCursor(last) : null };
}
