/**
 * Encryption at rest for webhook signing secrets: AES-256-GCM under SECRETS_KEY, a fresh 12-byte nonce per value.
 * Stored form: `v1.<nonce>.<ciphertext>.<tag>`, each part base64url, so the format can change without guesswork.
 */
import crypto from 'node:crypto';

export interface SecretBox {
  encrypt(plaintext: string): string;
  /** Throws when the value was not sealed under this key, or was altered. */
  decrypt(sealed: string): string;
  /** A 32-byte key for one other purpose (signing portal sessions), derived from SECRETS_KEY with HKDF-SHA-256. */
  deriveKey(purpose: string): Uint8Array;
}

/** Parses SECRETS_KEY: 32 bytes as base64 (44 characters) or hex (64 characters). */
export function parseSecretsKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32)
    throw new Error('SECRETS_KEY must be 32 bytes, as base64 (44 characters) or hex (64 characters)');
  return key;
}

export function generateSecretsKey(): string {
  return crypto.randomBytes(32).toString('base64');
}

export function createSecretBox(key: Buffer): SecretBox {
  return {
    encrypt(plaintext) {
      const nonce = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', nonce, ciphertext, cipher.getAuthTag()]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    deriveKey(purpose) {
      return new Uint8Array(crypto.hkdfSync('sha256', key, Buffer.alloc(0), `chat-webhooks ${purpose}`, 32));
    },
    decrypt(sealed) {
      const [version, nonce, ciphertext, tag] = sealed.split('.');
      if (version !== 'v1' || !nonce || ciphertext === undefined || !tag)
        throw new Error('unknown sealed-secret format');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      try {
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        // The only cause in practice: the value was sealed under another key.
        throw new Error('a stored secret does not open with SECRETS_KEY: was SECRETS_KEY changed since it was saved?');
      }
    },
  };
}

/** A Standard Webhooks signing secret: `whsec_` and base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64')}`;
}
