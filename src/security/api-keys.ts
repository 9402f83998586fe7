import crypto from 'node:crypto';

/** A new admin key for dev mode. */
export function generateApiKey(prefix: string): string {
  return `${prefix}${crypto.randomBytes(24).toString('base64url')}`;
}

/**
 * Compares a presented key with the expected one in constant time. Both sides are hashed first, so the comparison
 * does not reveal the expected key's length either.
 */
export function apiKeyMatches(presented: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}
