import assert from 'node:assert/strict';
import { test } from 'node:test';

import { apiKeyMatches } from '../../src/security/api-keys';
import {
  createSecretBox,
  generateSecretsKey,
  generateWebhookSecret,
  parseSecretsKey,
} from '../../src/security/secret-box';

test('secrets round-trip, and the sealed form reveals nothing of them', () => {
  const box = createSecretBox(parseSecretsKey(generateSecretsKey()));
  const secret = generateWebhookSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const sealed = box.encrypt(secret);
  assert.ok(!sealed.includes(secret.slice(6, 20)));
  assert.notEqual(box.encrypt(secret), sealed, 'a fresh nonce each time');
  assert.equal(box.decrypt(sealed), secret);
});

test('another key or a tampered value cannot be decrypted', () => {
  const box = createSecretBox(parseSecretsKey(generateSecretsKey()));
  const other = createSecretBox(parseSecretsKey(generateSecretsKey()));
  const sealed = box.encrypt('whsec_abc');
  assert.throws(() => other.decrypt(sealed));
  const parts = sealed.split('.');
  parts[2] = Buffer.from('whsec_abd').toString('base64url');
  assert.throws(() => box.decrypt(parts.join('.')));
});

test('SECRETS_KEY must be 32 bytes, in base64 or hex', () => {
  assert.equal(parseSecretsKey('ab'.repeat(32)).length, 32);
  assert.equal(parseSecretsKey(Buffer.alloc(32, 7).toString('base64')).length, 32);
  assert.throws(() => parseSecretsKey('too-short'), /32 bytes/);
});

test('API keys compare by value', () => {
  assert.equal(apiKeyMatches('cwk_abc', 'cwk_abc'), true);
  assert.equal(apiKeyMatches('cwk_abd', 'cwk_abc'), false);
  assert.equal(apiKeyMatches('cwk_ab', 'cwk_abc'), false);
});
