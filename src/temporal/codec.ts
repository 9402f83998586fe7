/**
 * The payload codec: every payload that chat-webhooks' clients and workers hand to Temporal (workflow inputs and
 * results, activity arguments and results, signals, queries, memos) is encrypted with AES-256-GCM before it leaves
 * the process, so Temporal's history, its database and its UI hold ciphertext. What users said, their emails and
 * names never reach Temporal in the clear.
 *
 * Keys come from TEMPORAL_PAYLOAD_KEYS (`id:key,...`): the first encrypts, all of them decrypt, so a key is rotated by
 * putting a new one first and keeping the old ones until the histories they encrypted have passed their retention.
 * The key id rides in the payload's metadata. A payload that this codec did not encode (a history recorded before
 * the codec existed, or written by another client) is passed through untouched, so old workflows keep running and
 * their histories keep replaying.
 *
 * Search attributes do not pass through codecs (the server indexes them), so they must carry no personal data: see
 * src/domain/search-attributes.ts.
 */
import crypto from 'node:crypto';

import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** The metadata `encoding` of a payload this codec encrypted. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The metadata key naming the key that encrypted a payload. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface PayloadKey {
  id: string;
  key: Buffer;
}

/** Parses `id:key,...` (keys as base64 or hex, 32 bytes each); an error names the bad entry, never the key. */
export function parsePayloadKeys(text: string): PayloadKey[] | { error: string } {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) return { error: 'needs at least one id:key' };
  const keys: PayloadKey[] = [];
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    const material = colon < 0 ? '' : entry.slice(colon + 1);
    if (!KEY_ID.test(id)) return { error: `entry ${i + 1}: the id must be 1-64 letters, digits, '.', '_' or '-'` };
    const key = /^[0-9a-fA-F]{64}$/.test(material) ? Buffer.from(material, 'hex') : Buffer.from(material, 'base64');
    if (key.length !== 32) return { error: `key ${id}: must be 32 bytes, as base64 (44 characters) or hex (64)` };
    if (keys.some((k) => k.id === id)) return { error: `key ${id} appears twice` };
    keys.push({ id, key });
  }
  return keys;
}

/** A fresh key in TEMPORAL_PAYLOAD_KEYS form, named by its creation date. */
export function generatePayloadKeys(now = new Date()): string {
  const id = `k${now.toISOString().slice(0, 10).replaceAll('-', '')}`;
  return `${id}:${crypto.randomBytes(32).toString('base64')}`;
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: PayloadKey;

  constructor(keys: readonly PayloadKey[]) {
    if (keys.length === 0) throw new Error('AesGcmPayloadCodec needs at least one key');
    this.current = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.current.key, iv);
    // The key id is authenticated too: a payload cannot be relabelled to another key.
    cipher.setAAD(Buffer.from(this.current.id));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return {
      metadata: {
        encoding: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: Buffer.from(this.current.id),
      },
      data: Buffer.concat([iv, body, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
    const id = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
    const key = this.byId.get(id);
    if (!key) throw new Error(`payload encrypted with key "${id}", which TEMPORAL_PAYLOAD_KEYS does not hold`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new Error('encrypted payload is too short');
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

/** The data converter of every client and worker: the codec when keys are set, the SDK's default otherwise. */
export function payloadDataConverter(keys: readonly PayloadKey[] | undefined) {
  return keys && keys.length > 0 ? { payloadCodecs: [new AesGcmPayloadCodec(keys)] } : undefined;
}
