/** Schemas and checks that several routes share: path parameters, timestamps, and URLs the service will call. */
import toRegexRange from 'to-regex-range';
import { z } from 'zod';

import { UNIT_MS } from '../domain/durations';
import { checkDestination, type DestinationPolicy, type Resolver } from '../security/destination';
import { ApiError } from './errors';

export const appParams = z.object({ app_id: z.string().describe('The app id (app_...).') });
export const webhookParams = appParams.extend({ webhook_id: z.string().describe('The webhook id (wh_...).') });

export const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601, UTC.');

/**
 * A URL the service will POST to (a webhook's url, an app's alert_url): absolute http(s), at most 2048 characters.
 * Where it points is checked when it is saved (see checkedUrl) and again at every attempt.
 */
export const destinationUrlField = z
  .string()
  .max(2048)
  .regex(
    /^[Hh][Tt][Tt][Pp][Ss]?:\/\/[^\u0000-\u0020\u007f/?#@]+(?:[/?#][^\u0000-\u0020\u007f]*)?$/,
    'must be an absolute http(s) URL, with no spaces, control characters or user name',
  )
  .meta({ format: 'uri' });

/**
 * The destination check, as a 422 `invalid_url` naming the field. Answers the URL as it will be called. A name that
 * does not resolve now is kept, with a warning: it may be set up later, and every attempt checks it again.
 */
export async function checkedUrl(
  destination: DestinationPolicy & { resolver?: Resolver },
  field: string,
  raw: string,
): Promise<{ url: string; warning?: string }> {
  const check = await checkDestination(raw, destination, destination.resolver);
  if (check.ok) return { url: check.url };
  if (check.unresolved) {
    return { url: check.unresolved.url, warning: `${field}: ${check.reason} now; each attempt resolves it again` };
  }
  throw new ApiError('invalid_url', `Invalid ${field}: ${check.reason}`, [{ field, message: check.reason }]);
}

export const warningsField = z
  .array(z.string())
  .optional()
  .describe('Present when the settings are saved but may not work as they are, e.g. conditions without an LLM.');

/**
 * A regular expression (unanchored alternatives) for every whole duration such as `90s`, `5m` or `2h` from minMs to
 * maxMs, so that a document's pattern states the bounds and not only the syntax. Numbers are written without
 * leading zeros.
 */
export function durationAlternatives(bounds: { minMs: number; maxMs: number }): string {
  const parts: string[] = [];
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const lo = Math.max(1, Math.ceil(bounds.minMs / size));
    const hi = Math.floor(bounds.maxMs / size);
    if (lo <= hi) parts.push(`(?:${lo === hi ? String(lo) : toRegexRange(lo, hi)})${unit}`);
  }
  return parts.join('|');
}

/** A whole duration between the bounds, as a string such as `24h`; parse it with domain/durations' parseDuration. */
export function durationField(bounds: { minMs: number; maxMs: number }, message: string) {
  return z.string().regex(new RegExp(`^(?:${durationAlternatives(bounds)})$`), message);
}
