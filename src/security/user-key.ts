/**
 * How the service finds one user's rows without storing who they are: an HMAC-SHA256 of the app id and the user id,
 * keyed with a key derived from SECRETS_KEY. The same user id in another app gives another key, and without
 * SECRETS_KEY a database dump does not tell whose rows are whose.
 */
import crypto from 'node:crypto';

import type { SecretBox } from './secret-box';

/** Key-derivation purpose; changing it orphans every stored user key. */
const PURPOSE = 'user keys v1';

export type UserKeyOf = (appId: string, userId: string | null | undefined) => string | null;

/** Null for an event without a user id: such rows cannot be found by user. */
export function createUserKeyOf(secrets: SecretBox): UserKeyOf {
  const key = secrets.deriveKey(PURPOSE);
  return (appId, userId) => {
    if (userId === null || userId === undefined || userId === '') return null;
    // A NUL between the two: no app id and user id pair runs into another.
    return crypto.createHmac('sha256', key).update(`${appId}\u0000${userId}`).digest('hex');
  };
}
