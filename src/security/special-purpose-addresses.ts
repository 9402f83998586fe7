/**
 * The one table of address ranges a webhook may not reach, and how an address in each is judged.
 *
 * Derived from the IANA IPv4 Special-Purpose Address Registry and the IANA IPv6 Special-Purpose Address Registry (both
 * governed by RFC 6890): every row, with its name as the registry spells it, its RFC and its "Globally Reachable"
 * column. Added to them, and marked so: the deprecated IPv4-compatible IPv6 form `::/96` and site-local `fec0::/10`
 * (neither is a registry row any more), and IPv4 and IPv6 multicast (their own registries; never a unicast
 * destination). An IPv6 address outside 2000::/3 that no row names is IANA's "Reserved by IETF" space and is refused
 * too (see `IPV6_GLOBAL_UNICAST`).
 *
 * An address is judged by the most specific row containing it (longest prefix), so 192.0.0.9/32 (globally reachable)
 * wins over 192.0.0.0/24 (not). Rows that carry an IPv4 address inside the IPv6 one are judged by what they carry,
 * where the registry or the row's RFC says the IPv6 address stands for that IPv4 address (see `carriesIPv4`).
 */
import ipaddr from 'ipaddr.js';

/**
 * How the IPv4 address an IPv6 address carries is found:
 * - `last32`: the last 32 bits (IPv4-mapped, RFC 4291 §2.5.5.2; the NAT64 well-known prefix, RFC 6052 §2.2);
 * - `6to4`: bits 16–47, the 6to4 router's address (RFC 3056 §2);
 * - `teredo`: the server's address in bits 32–63 and the client's, bit-inverted, in bits 96–127 (RFC 4380 §4).
 */
export type CarriedIPv4 = 'last32' | '6to4' | 'teredo';

export interface SpecialPurposeRange {
  cidr: string;
  /** The registry's name for the row. */
  name: string;
  /** The defining document(s), as the registry cites them. */
  rfc: string;
  /**
   * The registry's "Globally Reachable" column. `null` where it says N/A (Teredo, 6to4) or is empty (rows the registry
   * has terminated); such a row is refused unless it is judged by the IPv4 address it carries.
   */
  globallyReachable: boolean | null;
  source: 'iana-ipv4-special' | 'iana-ipv6-special' | 'deprecated' | 'multicast';
  /** Present when the IPv6 address carries an IPv4 address; see `judgedBy`. */
  carriesIPv4?: CarriedIPv4;
  /**
   * `entry` (the default): the row's own flag decides; an address carrying an IPv4 address that DELIVERY_ALLOWED_CIDRS
   * allows is still allowed (an IPv4-mapped address reaches that IPv4 address).
   * `carried`: the row does not decide by itself; the carried IPv4 address(es) must each be reachable. Used where the
   * registry's flag is N/A and points at the RFC that embeds the address (6to4, Teredo), and for the NAT64 well-known
   * prefix, which RFC 6052 §3.1 forbids for non-global IPv4 addresses although the row itself is globally reachable.
   */
  judgedBy?: 'entry' | 'carried';
}

const v4 = (cidr: string, name: string, rfc: string, globallyReachable: boolean | null): SpecialPurposeRange => ({
  cidr,
  name,
  rfc,
  globallyReachable,
  source: 'iana-ipv4-special',
});
const v6 = (
  cidr: string,
  name: string,
  rfc: string,
  globallyReachable: boolean | null,
  carried?: Pick<SpecialPurposeRange, 'carriesIPv4' | 'judgedBy'>,
): SpecialPurposeRange => ({ cidr, name, rfc, globallyReachable, source: 'iana-ipv6-special', ...carried });

export const SPECIAL_PURPOSE_RANGES: readonly SpecialPurposeRange[] = [
  // IANA IPv4 Special-Purpose Address Registry, in its order.
  v4('0.0.0.0/8', '"This network"', 'RFC 791', false),
  v4('0.0.0.0/32', '"This host on this network"', 'RFC 1122', false),
  v4('10.0.0.0/8', 'Private-Use', 'RFC 1918', false),
  v4('100.64.0.0/10', 'Shared Address Space', 'RFC 6598', false),
  v4('127.0.0.0/8', 'Loopback', 'RFC 1122', false),
  v4('169.254.0.0/16', 'Link Local', 'RFC 3927', false),
  v4('172.16.0.0/12', 'Private-Use', 'RFC 1918', false),
  v4('192.0.0.0/24', 'IETF Protocol Assignments', 'RFC 6890', false),
  v4('192.0.0.0/29', 'IPv4 Service Continuity Prefix', 'RFC 7335', false),
  v4('192.0.0.8/32', 'IPv4 dummy address', 'RFC 7600', false),
  v4('192.0.0.9/32', 'Port Control Protocol Anycast', 'RFC 7723', true),
  v4('192.0.0.10/32', 'Traversal Using Relays around NAT Anycast', 'RFC 8155', true),
  // One registry row names both /32s.
  v4('192.0.0.170/32', 'NAT64/DNS64 Discovery', 'RFC 8880, RFC 7050', false),
  v4('192.0.0.171/32', 'NAT64/DNS64 Discovery', 'RFC 8880, RFC 7050', false),
  v4('192.0.2.0/24', 'Documentation (TEST-NET-1)', 'RFC 5737', false),
  v4('192.31.196.0/24', 'AS112-v4', 'RFC 7535', true),
  v4('192.52.193.0/24', 'AMT', 'RFC 7450', true),
  // Terminated 2015-03; the registry left its flags empty.
  v4('192.88.99.0/24', 'Deprecated (6to4 Relay Anycast)', 'RFC 7526', null),
  v4('192.88.99.2/32', '6a44-relay anycast address', 'RFC 6751', false),
  v4('192.168.0.0/16', 'Private-Use', 'RFC 1918', false),
  v4('192.175.48.0/24', 'Direct Delegation AS112 Service', 'RFC 7534', true),
  v4('198.18.0.0/15', 'Benchmarking', 'RFC 2544', false),
  v4('198.51.100.0/24', 'Documentation (TEST-NET-2)', 'RFC 5737', false),
  v4('203.0.113.0/24', 'Documentation (TEST-NET-3)', 'RFC 5737', false),
  v4('240.0.0.0/4', 'Reserved', 'RFC 1112', false),
  v4('255.255.255.255/32', 'Limited Broadcast', 'RFC 8190, RFC 919', false),

  // IANA IPv6 Special-Purpose Address Registry, in its order.
  v6('::1/128', 'Loopback Address', 'RFC 4291', false),
  v6('::/128', 'Unspecified Address', 'RFC 4291', false),
  v6('::ffff:0:0/96', 'IPv4-mapped Address', 'RFC 4291', false, { carriesIPv4: 'last32', judgedBy: 'entry' }),
  v6('64:ff9b::/96', 'IPv4-IPv6 Translat.', 'RFC 6052', true, { carriesIPv4: 'last32', judgedBy: 'carried' }),
  v6('64:ff9b:1::/48', 'IPv4-IPv6 Translat.', 'RFC 8215', false),
  v6('100::/64', 'Discard-Only Address Block', 'RFC 6666', false),
  v6('100:0:0:1::/64', 'Dummy IPv6 Prefix', 'RFC 9780', false),
  v6('2001::/23', 'IETF Protocol Assignments', 'RFC 2928', false),
  v6('2001::/32', 'TEREDO', 'RFC 4380, RFC 8190', null, { carriesIPv4: 'teredo', judgedBy: 'carried' }),
  v6('2001:1::1/128', 'Port Control Protocol Anycast', 'RFC 7723', true),
  v6('2001:1::2/128', 'Traversal Using Relays around NAT Anycast', 'RFC 8155', true),
  v6('2001:1::3/128', 'DNS-SD Service Registration Protocol Anycast', 'RFC 9665', true),
  v6('2001:2::/48', 'Benchmarking', 'RFC 5180', false),
  v6('2001:3::/32', 'AMT', 'RFC 7450', true),
  v6('2001:4:112::/48', 'AS112-v6', 'RFC 7535', true),
  // Terminated 2014-03; the registry left its flags empty.
  v6('2001:10::/28', 'Deprecated (previously ORCHID)', 'RFC 4843', null),
  v6('2001:20::/28', 'ORCHIDv2', 'RFC 7343', true),
  v6('2001:30::/28', 'Drone Remote ID Protocol Entity Tags (DETs) Prefix', 'RFC 9374', true),
  v6('2001:db8::/32', 'Documentation', 'RFC 3849', false),
  v6('2002::/16', '6to4', 'RFC 3056', null, { carriesIPv4: '6to4', judgedBy: 'carried' }),
  v6('2620:4f:8000::/48', 'Direct Delegation AS112 Service', 'RFC 7534', true),
  v6('3fff::/20', 'Documentation', 'RFC 9637', false),
  v6('5f00::/16', 'Segment Routing (SRv6) SIDs', 'RFC 9602', false),
  v6('fc00::/7', 'Unique-Local', 'RFC 4193, RFC 8190', false),
  v6('fe80::/10', 'Link-Local Unicast', 'RFC 4291', false),

  // Deprecated forms the registry no longer lists, refused outright. `::/96` is not judged by the IPv4 address it
  // carries: nothing uses it, and `http://[::127.0.0.1]/` must not pass as 127.0.0.1 where loopback is allowed.
  {
    cidr: '::/96',
    name: 'Deprecated (IPv4-Compatible IPv6 Address)',
    rfc: 'RFC 4291',
    globallyReachable: false,
    source: 'deprecated',
  },
  {
    cidr: 'fec0::/10',
    name: 'Deprecated (Site-Local Unicast)',
    rfc: 'RFC 3879',
    globallyReachable: false,
    source: 'deprecated',
  },

  // Multicast: its own registries, and never a destination for a TCP connection.
  { cidr: '224.0.0.0/4', name: 'Multicast', rfc: 'RFC 5771', globallyReachable: false, source: 'multicast' },
  { cidr: 'ff00::/8', name: 'Multicast', rfc: 'RFC 4291', globallyReachable: false, source: 'multicast' },
];

/** IANA's IPv6 Address Space registry: only 2000::/3 is Global Unicast; the rest is special or Reserved by IETF. */
export const IPV6_GLOBAL_UNICAST = { cidr: '2000::/3', name: 'Global Unicast', rfc: 'RFC 4291' } as const;

type Address = ipaddr.IPv4 | ipaddr.IPv6;
interface ParsedRange {
  range: SpecialPurposeRange;
  network: [Address, number];
}

// Most specific first, so the first match is the longest prefix.
const PARSED: readonly ParsedRange[] = SPECIAL_PURPOSE_RANGES.map((range) => ({
  range,
  network: ipaddr.parseCIDR(range.cidr),
})).sort((a, b) => b.network[1] - a.network[1]);

const GLOBAL_UNICAST = ipaddr.parseCIDR(IPV6_GLOBAL_UNICAST.cidr);

/** The most specific table row containing the address, or undefined. */
export function specialPurposeRangeOf(addr: Address): SpecialPurposeRange | undefined {
  return PARSED.find(({ network }) => network[0].kind() === addr.kind() && addr.match(network))?.range;
}

export function inIPv6GlobalUnicast(addr: ipaddr.IPv6): boolean {
  return addr.match(GLOBAL_UNICAST);
}

/** The IPv4 address(es) an IPv6 address in this row carries. */
export function carriedIPv4(addr: ipaddr.IPv6, how: CarriedIPv4): ipaddr.IPv4[] {
  const b = addr.toByteArray();
  switch (how) {
    case 'last32':
      return [new ipaddr.IPv4(b.slice(12, 16))];
    case '6to4':
      return [new ipaddr.IPv4(b.slice(2, 6))];
    case 'teredo':
      return [new ipaddr.IPv4(b.slice(4, 8)), new ipaddr.IPv4(b.slice(12, 16).map((byte) => byte ^ 0xff))];
  }
}

/** "192.0.0.0/24, IETF Protocol Assignments (RFC 6890)": how a refusal names the row. */
export function describeRange(range: Pick<SpecialPurposeRange, 'cidr' | 'name' | 'rfc'>): string {
  return `${range.cidr}, ${range.name} (${range.rfc})`;
}
