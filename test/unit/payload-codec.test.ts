/** The payload codec: AES-256-GCM with the key id in the metadata, rotation, passthrough of clear payloads. */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';

import { defaultPayloadConverter } from '@temporalio/common';

import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  generatePayloadKeys,
  KEY_ID_METADATA,
  parsePayloadKeys,
  type PayloadKey,
} from '../../src/temporal/codec';

const key = (id: string): PayloadKey => ({ id, key: crypto.randomBytes(32) });
const clear = (value: unknown) => defaultPayloadConverter.toPayload(value);
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

describe('payload codec', () => {
  test('encrypts with the first key, names it in the metadata, and decodes to the same payload', async () => {
    const codec = new AesGcmPayloadCodec([key('k2'), key('k1')]);
    const original = clear({ message: 'How much is the pro plan?', user_email: 'ada@example.com' });
    const [encoded] = await codec.encode([original]);
    assert.equal(text(encoded!.metadata!.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(encoded!.metadata![KEY_ID_METADATA]), 'k2');
    assert.doesNotMatch(text(encoded!.data), /pro plan|ada@example/);
    const [decoded] = await codec.decode([encoded!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), {
      message: 'How much is the pro plan?',
      user_email: 'ada@example.com',
    });
    // A fresh IV each time: the same value never gives the same ciphertext.
    const [again] = await codec.encode([original]);
    assert.notDeepEqual(Buffer.from(again!.data!), Buffer.from(encoded!.data!));
  });

  test('rotation: payloads under the old key still decode once a new key is first', async () => {
    const k1 = key('k1');
    const before = new AesGcmPayloadCodec([k1]);
    const [old] = await before.encode([clear('under k1')]);
    const after = new AesGcmPayloadCodec([key('k2'), k1]);
    assert.equal(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!), 'under k1');
    const [fresh] = await after.encode([clear('under k2')]);
    assert.equal(text(fresh!.metadata![KEY_ID_METADATA]), 'k2');
    // Dropping a key that still encrypts something is refused loudly, naming the key, not silently.
    await assert.rejects(new AesGcmPayloadCodec([key('k3')]).decode([old!]), /key "k1"/);
  });

  test('passes through payloads it did not encode, and refuses tampered ones', async () => {
    const codec = new AesGcmPayloadCodec([key('k1')]);
    const plain = clear({ recorded: 'before the codec existed' });
    assert.deepEqual((await codec.decode([plain]))[0], plain);
    const [encoded] = await codec.encode([clear('secret')]);
    const data = Buffer.from(encoded!.data!);
    data[20] = data[20]! ^ 1;
    await assert.rejects(codec.decode([{ ...encoded!, data }]));
    // The key id is authenticated: relabelling a payload to another key fails too.
    const twoKeys = new AesGcmPayloadCodec([key('k1'), key('k9')]);
    const [mine] = await twoKeys.encode([clear('x')]);
    await assert.rejects(
      twoKeys.decode([{ ...mine!, metadata: { ...mine!.metadata, [KEY_ID_METADATA]: Buffer.from('k9') } }]),
    );
  });

  test('keys parse from id:key lists, and bad ones are named without showing the key', () => {
    const generated = generatePayloadKeys(new Date('2026-12-02T00:00:00Z'));
    assert.match(generated, /^k20261202:[A-Za-z0-9+/]{43}=$/);
    const parsed = parsePayloadKeys(`${generated}, k0:${'ab'.repeat(32)}`);
    assert.ok(Array.isArray(parsed));
    assert.deepEqual(
      parsed.map((k) => [k.id, k.key.length]),
      [
        ['k20261202', 32],
        ['k0', 32],
      ],
    );
    for (const [input, message] of [
      ['', /at least one/],
      ['nokey', /entry 1: the id/],
      ['k1:c2hvcnQ=', /key k1: must be 32 bytes/],
      [`k1:${'ab'.repeat(32)},k1:${'cd'.repeat(32)}`, /k1 appears twice/],
      [`bad id:${'ab'.repeat(32)}`, /entry 1/],
    ] as const) {
      const result = parsePayloadKeys(input);
      assert.ok(!Array.isArray(result), input);
      assert.match(result.error, message);
      assert.doesNotMatch(result.error, /abab|cdcd|c2hvcnQ/);
    }
  });
});
