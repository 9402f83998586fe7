/**
 * Keyset pagination for every list route. A cursor is the (created_at, id) of the last row of the previous page;
 * whether the next page lies after or before it is the query's business (oldest-first settings, newest-first logs).
 *
 * The cursor carries created_at as exact text from Postgres, to the microsecond: rows written by one statement share
 * a created_at, and a cursor rounded to a JS Date's millisecond would skip or repeat them on real Postgres.
 */
import { z } from 'zod';

import { ApiError } from './errors';

/** `?limit=&cursor=` on every list route. */
export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

/** created_at as UTC text with all six fractional digits: select it as `cursor_at` in every paged query. */
export const EXACT_CREATED_AT = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Where the previous page ended: created_at as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, and the id. */
export interface PageKey {
  at: string;
  id: string;
}

const EXACT_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

/** Undefined for the first page; a 400 for anything this API did not hand out. */
export function decodeCursor(cursor: string | undefined): PageKey | undefined {
  if (cursor === undefined) return undefined;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 2) throw new Error('bad cursor');
    const [at, id] = decoded as unknown[];
    // The round trip refuses dates the pattern allows but the calendar does not (Feb 30), which Postgres would reject.
    if (typeof at !== 'string' || !EXACT_UTC.test(at) || new Date(at).toISOString().slice(0, 23) !== at.slice(0, 23)) {
      throw new Error('bad cursor');
    }
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new Error('bad cursor');
    return { at, id };
  } catch {
    throw new ApiError(400, 'validation_failed', 'Invalid request query: cursor: not a cursor this API returned', [
      { field: 'cursor', message: 'not a cursor this API returned' },
    ]);
  }
}

/** Fetches limit + 1 rows to learn whether another page exists, and answers `{ data, next_cursor }`. */
export async function page<Row extends { cursor_at: string; id: string }, Out>(
  query: { limit: number; cursor?: string },
  fetch: (p: { limit: number; from?: PageKey }) => Promise<Row[]>,
  toJson: (row: Row) => Out,
): Promise<{ data: Out[]; next_cursor: string | null }> {
  const rows = await fetch({ limit: query.limit + 1, from: decodeCursor(query.cursor) });
  const data = rows.slice(0, query.limit);
  const last = data.at(-1);
  return {
    data: data.map(toJson),
    next_cursor: rows.length > query.limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
  };
}
