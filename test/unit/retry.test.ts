import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  busyWaitDelay,
  decideAfterAttempt,
  MAX_RETRY_AFTER_MS,
  nextRetryDelay,
  parseRetryAfter,
  withJitter,
} from '../../src/domain/delivery';

test('jitter stays within ±20% of the delay', () => {
  assert.equal(withJitter(10_000, 0), 8_000);
  assert.equal(withJitter(10_000, 0.5), 10_000);
  assert.equal(withJitter(10_000, 0.999999), 12_000);
});

test('Retry-After counts only when longer than the schedule, and never past 24 hours', () => {
  assert.equal(nextRetryDelay(5_000, 0.5), 5_000);
  assert.equal(nextRetryDelay(5_000, 0.5, 60_000), 60_000);
  assert.equal(nextRetryDelay(300_000, 0.5, 60_000), 300_000, 'never less than the schedule');
  assert.equal(nextRetryDelay(5_000, 0.5, 7 * 86_400_000), MAX_RETRY_AFTER_MS);
});

test('Retry-After parses seconds and HTTP dates, and ignores nonsense', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('120', now), 120_000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now), 60_000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter('-5', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test('busy waits double from 1 s to at most 30 s', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 9].map((n) => busyWaitDelay(n, 0.5)),
    [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000],
  );
});

test('the decision after an attempt: success, gone, blocked, retry on the schedule, exhausted', () => {
  const schedule = [5_000, 60_000];
  const answered = (statusCode: number, retryAfterMs?: number) => ({ statusCode, errorClass: null, retryAfterMs });
  assert.deepEqual(
    decideAfterAttempt(answered(204), schedule, 0, () => 0.5),
    { kind: 'succeeded' },
  );
  assert.deepEqual(
    decideAfterAttempt(answered(410), schedule, 0, () => 0.5),
    { kind: 'gone' },
  );
  assert.deepEqual(
    decideAfterAttempt({ statusCode: null, errorClass: 'blocked_destination' }, schedule, 0, () => 0.5),
    {
      kind: 'blocked',
    },
  );
  assert.deepEqual(
    decideAfterAttempt(answered(500), schedule, 0, () => 0.5),
    { kind: 'retry', inMs: 5_000 },
  );
  assert.deepEqual(
    decideAfterAttempt(answered(500), schedule, 1, () => 0),
    { kind: 'retry', inMs: 48_000 },
  );
  assert.deepEqual(
    decideAfterAttempt({ statusCode: null, errorClass: 'timeout' }, schedule, 1, () => 0.5),
    {
      kind: 'retry',
      inMs: 60_000,
    },
  );
  assert.deepEqual(
    decideAfterAttempt(answered(500), schedule, 2, () => 0.5),
    { kind: 'exhausted' },
  );
  assert.deepEqual(
    decideAfterAttempt(answered(500), [], 0, () => 0.5),
    { kind: 'exhausted' },
    'a test send: one attempt',
  );
});

test('Retry-After stretches the wait only for 429 and 503', () => {
  const schedule = [5_000];
  assert.deepEqual(
    decideAfterAttempt({ statusCode: 429, errorClass: null, retryAfterMs: 120_000 }, schedule, 0, () => 0.5),
    {
      kind: 'retry',
      inMs: 120_000,
    },
  );
  assert.deepEqual(
    decideAfterAttempt({ statusCode: 503, errorClass: null, retryAfterMs: 120_000 }, schedule, 0, () => 0.5),
    {
      kind: 'retry',
      inMs: 120_000,
    },
  );
  assert.deepEqual(
    decideAfterAttempt({ statusCode: 500, errorClass: null, retryAfterMs: 120_000 }, schedule, 0, () => 0.5),
    {
      kind: 'retry',
      inMs: 5_000,
    },
  );
  assert.deepEqual(
    decideAfterAttempt({ statusCode: 429, errorClass: null, retryAfterMs: 7 * 86_400_000 }, schedule, 0, () => 0.5),
    { kind: 'retry', inMs: MAX_RETRY_AFTER_MS },
  );
});

test('the jitter is drawn only for a retry', () => {
  let draws = 0;
  const random = () => (draws++, 0.5);
  decideAfterAttempt({ statusCode: 200, errorClass: null }, [5_000], 0, random);
  decideAfterAttempt({ statusCode: 410, errorClass: null }, [5_000], 0, random);
  decideAfterAttempt({ statusCode: 500, errorClass: null }, [5_000], 1, random);
  assert.equal(draws, 0);
  decideAfterAttempt({ statusCode: 500, errorClass: null }, [5_000], 0, random);
  assert.equal(draws, 1);
});
