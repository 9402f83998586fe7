import crypto from 'node:crypto';

/** A new API key: the prefix says what it is (`cwk_` app keys, `cwk_admin_` the dev admin key). */
export function generateApiKey(prefix: string): string {
  return `${prefix}${crypto.randomBytes(24).toString('base64url')}`;
}

/** What the database keeps of an app key. Keys carry 192 random bits, so one SHA-256 is enough. */
export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

/** The first characters of a key, kept so people can tell keys apart without the key itself. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, 12);
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
