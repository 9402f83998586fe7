/**
 * Every row of the special-purpose address table, tried where it matters: when a URL is saved (checkDestination, as
 * the webhooks API and url-checks call it), and when a connection is made through the delivery agent (createDeliveryAgent,
 * the guarded connector deliveries use), both as an IP literal and as a name resolving to it.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { request } from 'undici';

import { createDeliveryAgent } from '../../src/outbound/delivery-agent';
import { BlockedDestinationError, checkDestination, type DestinationPolicy } from '../../src/security/destination';
import { describeRange, SPECIAL_PURPOSE_RANGES } from '../../src/security/special-purpose-addresses';
import { ACCEPTED, bracketed, rows, SAMPLES } from '../helpers/special-purpose-samples';

/** Production's policy: https only, nothing allowed beyond what is globally reachable. */
const PRODUCTION: DestinationPolicy = { allowHttp: false, allowedCidrs: [] };

const resolverFor =
  (table: Record<string, string>) =>
  async (hostname: string): Promise<string[]> => {
    const found = table[hostname];
    if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [found];
  };

/** What a refusal of `address` must say: the row, and for carried addresses the IPv4 row too. */
function expectedPhrase(cidr: string): string {
  const range = SPECIAL_PURPOSE_RANGES.find((r) => r.cidr === cidr)!;
  return `in ${describeRange(range)}`;
}

test('every table row has a sample, and every sample lies in its own row', () => {
  assert.deepEqual(Object.keys(SAMPLES).sort(), SPECIAL_PURPOSE_RANGES.map((r) => r.cidr).sort());
  assert.equal(new Set(SPECIAL_PURPOSE_RANGES.map((r) => r.cidr)).size, SPECIAL_PURPOSE_RANGES.length, 'no row twice');
  // 25 + 25 registry rows (the IPv4 NAT64/DNS64 row names two /32s), 2 deprecated forms, 2 multicast blocks.
  assert.equal(SPECIAL_PURPOSE_RANGES.filter((r) => r.source === 'iana-ipv4-special').length, 26);
  assert.equal(SPECIAL_PURPOSE_RANGES.filter((r) => r.source === 'iana-ipv6-special').length, 25);
});

const hostTable = Object.fromEntries(rows.map(({ address }, i) => [`row${i}.example.test`, address]));

describe('at save (checkDestination, production policy)', () => {
  for (const [i, { range, address, refused }] of rows.entries()) {
    test(`${range.cidr} (${range.name}): ${address} ${refused ? 'refused' : 'accepted'}`, async () => {
      const literal = `https://${bracketed(address)}/hook`;
      const named = `https://row${i}.example.test/hook`;
      const byLiteral = await checkDestination(literal, PRODUCTION, resolverFor({}));
      const byName = await checkDestination(named, PRODUCTION, resolverFor(hostTable));
      if (!refused) {
        assert.equal(byLiteral.ok, true, JSON.stringify(byLiteral));
        assert.deepEqual(byName, { ok: true, url: named, addresses: [address] });
        return;
      }
      assert.equal(byLiteral.ok, false);
      assert.equal(byName.ok, false);
      const phrase = expectedPhrase(range.cidr);
      assert.ok(!byLiteral.ok && byLiteral.reason.includes(phrase), `${JSON.stringify(byLiteral)} lacks ${phrase}`);
      assert.ok(!byLiteral.ok && byLiteral.reason.startsWith('host '));
      assert.ok(
        !byName.ok && byName.reason.startsWith(`host row${i}.example.test resolves to ${address}, ${phrase}`),
        JSON.stringify(byName),
      );
    });
  }

  for (const address of ACCEPTED) {
    test(`${address} is globally reachable`, async () => {
      const url = `https://${bracketed(address)}/hook`;
      const check = await checkDestination(url, PRODUCTION, resolverFor({}));
      assert.equal(check.ok, true, JSON.stringify(check));
    });
  }

  test('http://[::127.0.0.1]/ (IPv4-compatible, the form a user found accepted) is refused, with loopback allowed too', async () => {
    for (const policy of [
      { allowHttp: true, allowedCidrs: [] },
      { allowHttp: true, allowedCidrs: ['127.0.0.0/8', '::1/128'] },
    ]) {
      assert.deepEqual(await checkDestination('http://[::127.0.0.1]/', policy, resolverFor({})), {
        ok: false,
        reason:
          'host ::7f00:1 is in ::/96, Deprecated (IPv4-Compatible IPv6 Address) (RFC 4291), not globally reachable',
      });
    }
    // A resolver may hand back the dotted spelling; ipaddr.js alone would read it as IPv4-mapped ::ffff:127.0.0.1.
    assert.deepEqual(
      await checkDestination('https://compat.test/', PRODUCTION, resolverFor({ 'compat.test': '::127.0.0.1' })),
      {
        ok: false,
        reason:
          'host compat.test resolves to ::127.0.0.1, in ::/96, Deprecated (IPv4-Compatible IPv6 Address) (RFC 4291), not globally reachable',
      },
    );
  });

  test('a refusal names the carried IPv4 row too', async () => {
    assert.deepEqual(await checkDestination('https://[64:ff9b::a9fe:a9fe]/', PRODUCTION, resolverFor({})), {
      ok: false,
      reason:
        'host 64:ff9b::a9fe:a9fe is in 64:ff9b::/96, IPv4-IPv6 Translat. (RFC 6052), carrying 169.254.169.254, in 169.254.0.0/16, Link Local (RFC 3927), not globally reachable',
    });
    assert.deepEqual(await checkDestination('https://192.0.0.100/', PRODUCTION, resolverFor({})), {
      ok: false,
      reason: 'host 192.0.0.100 is in 192.0.0.0/24, IETF Protocol Assignments (RFC 6890), not globally reachable',
    });
  });

  test('an IPv6 address outside 2000::/3 that no row names is refused', async () => {
    assert.deepEqual(await checkDestination('https://[4000::1]/', PRODUCTION, resolverFor({})), {
      ok: false,
      reason:
        'host 4000::1 is outside 2000::/3, Global Unicast (RFC 4291), reserved by the IETF, not globally reachable',
    });
  });

  test("dev mode's loopback allowance still opens loopback, and only loopback", async () => {
    const dev = { allowHttp: true, allowedCidrs: ['127.0.0.0/8', '::1/128'] };
    for (const url of ['http://127.0.0.1:4000/', 'http://[::1]:4000/', 'http://[::ffff:127.0.0.1]/']) {
      assert.equal((await checkDestination(url, dev, resolverFor({}))).ok, true, url);
    }
    for (const url of ['http://10.0.0.1/', 'http://[::ffff:10.0.0.1]/', 'http://192.0.0.100/']) {
      assert.equal((await checkDestination(url, dev, resolverFor({}))).ok, false, url);
    }
  });
});

describe('at connection time (the delivery agent, production policy)', () => {
  const agent = createDeliveryAgent({
    policy: { allowHttp: true, allowedCidrs: [] },
    resolver: resolverFor(hostTable),
    connectTimeoutMs: 1_000,
  });
  after(() => agent.close());

  for (const [i, { range, address, refused }] of rows.entries()) {
    if (!refused) continue;
    test(`${range.cidr} (${range.name}): ${address} refused before any socket opens`, async () => {
      const phrase = expectedPhrase(range.cidr);
      for (const [url, reasonStart] of [
        [`http://${bracketed(address)}:9/hook`, 'host '],
        [`http://row${i}.example.test:9/hook`, `host row${i}.example.test resolves to ${address}, `],
      ] as const) {
        await assert.rejects(
          request(url, { method: 'POST', body: '{}', dispatcher: agent }),
          (err: unknown) => {
            assert.ok(err instanceof BlockedDestinationError, `${url}: got ${String(err)}`);
            assert.equal(err.code, 'ERR_BLOCKED_DESTINATION');
            assert.ok(err.reason.startsWith(reasonStart), err.reason);
            assert.ok(err.reason.includes(phrase), `${err.reason} lacks ${phrase}`);
            return true;
          },
          url,
        );
      }
    });
  }

  test('http://[::127.0.0.1]/ is refused at connection time', async () => {
    await assert.rejects(request('http://[::127.0.0.1]:9/', { dispatcher: agent }), {
      code: 'ERR_BLOCKED_DESTINATION',
      reason: 'host ::7f00:1 is in ::/96, Deprecated (IPv4-Compatible IPv6 Address) (RFC 4291), not globally reachable',
    });
  });
});
