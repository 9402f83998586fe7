import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createEndpointLimiter } from '../../src/outbound/endpoint-limiter';

test('an endpoint gets at most its limit in flight; other endpoints are unaffected; releases free slots once', () => {
  const limiter = createEndpointLimiter(2);
  const a1 = limiter.tryAcquire('https://a.example/hook/1');
  const a2 = limiter.tryAcquire('https://a.example/hook/2');
  assert.ok(a1 && a2);
  assert.equal(limiter.tryAcquire('https://a.example/other'), undefined, 'same origin shares the cap');
  assert.ok(limiter.tryAcquire('https://b.example/hook'), 'another endpoint is free');
  a1();
  a1();
  assert.equal(limiter.inFlight('https://a.example/'), 1, 'a double release frees one slot only');
  assert.ok(limiter.tryAcquire('https://a.example/x'));
  assert.equal(limiter.tryAcquire('https://a.example/y'), undefined);
});
