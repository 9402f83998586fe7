/** One address in each row of the special-purpose table, shared by the unit test and the API test. */
import { SPECIAL_PURPOSE_RANGES } from '../../src/security/special-purpose-addresses';

/**
 * One address inside each row and inside no more specific row, with what must happen to it. Rows judged by the IPv4
 * address they carry have a refused sample (a non-global IPv4 inside) here and an accepted one in ACCEPTED.
 */
export const SAMPLES: Record<string, string> = {
  '0.0.0.0/8': '0.1.2.3',
  '0.0.0.0/32': '0.0.0.0',
  '10.0.0.0/8': '10.20.30.40',
  '100.64.0.0/10': '100.127.255.254',
  '127.0.0.0/8': '127.0.0.2',
  '169.254.0.0/16': '169.254.169.254',
  '172.16.0.0/12': '172.31.255.254',
  '192.0.0.0/24': '192.0.0.100',
  '192.0.0.0/29': '192.0.0.1',
  '192.0.0.8/32': '192.0.0.8',
  '192.0.0.9/32': '192.0.0.9',
  '192.0.0.10/32': '192.0.0.10',
  '192.0.0.170/32': '192.0.0.170',
  '192.0.0.171/32': '192.0.0.171',
  '192.0.2.0/24': '192.0.2.1',
  '192.31.196.0/24': '192.31.196.1',
  '192.52.193.0/24': '192.52.193.1',
  '192.88.99.0/24': '192.88.99.1',
  '192.88.99.2/32': '192.88.99.2',
  '192.168.0.0/16': '192.168.1.1',
  '192.175.48.0/24': '192.175.48.6',
  '198.18.0.0/15': '198.19.0.1',
  '198.51.100.0/24': '198.51.100.7',
  '203.0.113.0/24': '203.0.113.9',
  '240.0.0.0/4': '250.1.2.3',
  '255.255.255.255/32': '255.255.255.255',
  '::1/128': '::1',
  '::/128': '::',
  '::ffff:0:0/96': '::ffff:a00:1',
  '64:ff9b::/96': '64:ff9b::a9fe:a9fe',
  '64:ff9b:1::/48': '64:ff9b:1::808:808',
  '100::/64': '100::1',
  '100:0:0:1::/64': '100:0:0:1::1',
  '2001::/23': '2001:1ff::1',
  // Teredo: server 8.8.8.8, client 10.0.0.1 (stored bit-inverted as f5ff:fffe).
  '2001::/32': '2001:0:808:808::f5ff:fffe',
  '2001:1::1/128': '2001:1::1',
  '2001:1::2/128': '2001:1::2',
  '2001:1::3/128': '2001:1::3',
  '2001:2::/48': '2001:2::1',
  '2001:3::/32': '2001:3::1',
  '2001:4:112::/48': '2001:4:112::1',
  '2001:10::/28': '2001:10::1',
  '2001:20::/28': '2001:20::1',
  '2001:30::/28': '2001:30::1',
  '2001:db8::/32': '2001:db8::1',
  // 6to4 of 192.168.1.1.
  '2002::/16': '2002:c0a8:101::1',
  '2620:4f:8000::/48': '2620:4f:8000::1',
  '3fff::/20': '3fff::1',
  '5f00::/16': '5f00::1',
  'fc00::/7': 'fd12:3456::1',
  'fe80::/10': 'fe80::1',
  '::/96': '::7f00:1',
  'fec0::/10': 'fec0::1',
  '224.0.0.0/4': '239.255.255.250',
  'ff00::/8': 'ff02::1',
};

/** Globally reachable addresses, including the registry's exceptions inside refused rows, and carried public IPv4. */
export const ACCEPTED = [
  '8.8.8.8',
  '1.1.1.1',
  '2001:4860:4860::8888',
  '2606:4700:4700::1111',
  '192.0.0.9',
  '192.0.0.10',
  '2001:1::1',
  '2001:20::1',
  '64:ff9b::808:808', // NAT64 of 8.8.8.8
  '2002:808:808::1', // 6to4 of 8.8.8.8
  '2001:0:808:808::f7f7:fbfb', // Teredo, server 8.8.8.8, client 8.8.4.4
];

export function bracketed(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** Each row with its sample and whether the production policy refuses it. */
export const rows = SPECIAL_PURPOSE_RANGES.map((range) => ({
  range,
  address: SAMPLES[range.cidr]!,
  refused: range.globallyReachable !== true || range.judgedBy === 'carried',
}));
