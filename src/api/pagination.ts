/**
 * Keyset pagination for every list route. A cursor is the (created_at, id) of the last row of the previous page;
 * whether the next page lies after or before it is the query's business (oldest-first settings, newest-first logs).
 *
 * The cursor carries created_at to the microsecond, as Postgres keeps it: rows written by one statement share a
 * created_at, and a cursor rounded to a JS Date's millisecond would skip or repeat them on real Postgres.
 */
import { z } from 'zod';

/** Every list route answers a page of this shape. */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page.'),
  });

/**
 * A cursor is `<created_at in microseconds since 1970>~<id>` of the last row of a page. Its pattern says all a cursor
 * can be, so any string that matches it is a valid place to start a page (a made-up one simply finds the rows after
 * it); callers should still treat it as opaque and pass on `next_cursor`.
 */
const CURSOR = /^(0|[1-9][0-9]{0,15})~([!-~]{1,200})$/;

/** `?limit=&cursor=` on every list route. */
export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(CURSOR, 'not a cursor this API returned (pass next_cursor on)')
    .optional()
    .describe('Where the page starts: the `next_cursor` of the previous page.'),
});

/** created_at as UTC text with all six fractional digits: select it as `cursor_at` in every paged query. */
export const EXACT_CREATED_AT = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Where the previous page ended: created_at as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, and the id. */
export interface PageKey {
  at: string;
  id: string;
}

const EXACT_UTC = /^(\d{4,})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.(\d{6})Z$/;

export function encodeCursor(key: PageKey): string {
  const match = EXACT_UTC.exec(key.at);
  if (!match) throw new Error(`not an exact UTC time: ${key.at}`);
  // Milliseconds from the calendar part, the last three digits of the microseconds appended as text.
  const micros = BigInt(Date.parse(`${key.at.slice(0, 23)}Z`)) * 1000n + BigInt(match[2]!.slice(3));
  return `${micros}~${key.id}`;
}

/** Undefined for the first page. The query schema has checked the pattern, so every cursor decodes. */
export function decodeCursor(cursor: string | undefined): PageKey | undefined {
  if (cursor === undefined) return undefined;
  const match = CURSOR.exec(cursor);
  if (!match) throw new Error('decodeCursor: the query schema lets only cursors matching the pattern through');
  const micros = BigInt(match[1]!);
  const iso = new Date(Number(micros / 1000n)).toISOString();
  return { at: `${iso.slice(0, 23)}${String(micros % 1000n).padStart(3, '0')}Z`, id: match[2]! };
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
