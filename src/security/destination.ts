/**
 * Where a webhook may point (SSRF protection). A receiver URL is customer input, and the worker that POSTs to it sits
 * inside our network, so a URL must not reach loopback, private networks, link-local (cloud metadata at
 * 169.254.169.254) or any other address that is not globally reachable, unless an operator allowed that range in
 * DELIVERY_ALLOWED_CIDRS. What is globally reachable is the table in special-purpose-addresses.ts (the IANA
 * special-purpose registries, every row); a refusal names the row, e.g. "in 192.0.0.0/24, IETF Protocol Assignments
 * (RFC 6890), not globally reachable".
 *
 * Two checks, both needed:
 * - `checkDestination` when a webhook is saved and before each delivery: format, then the host (an IP literal, or every
 *   address its name resolves to) against the policy. It gives the user a clear reason.
 * - `createGuardedLookup` at connect time: the socket's own name resolution, checked again, so a name that resolved to
 *   a public address at check time and to 127.0.0.1 a second later (DNS rebinding) is refused, and the socket connects
 *   to exactly the addresses that were checked. Node's net/tls do NOT call `lookup` for IP-literal hosts, so the
 *   lookup alone never sees `http://10.0.0.1/`; callers must run `checkDestination` (or `checkAddress`) first, or use
 *   `createGuardedConnector`, which checks literals itself.
 * Redirects are never followed (undici `request` does not follow them), so a receiver cannot bounce us elsewhere.
 */
import { type LookupAddress, promises as dns } from 'node:dns';
import net from 'node:net';

import ipaddr from 'ipaddr.js';
import { buildConnector } from 'undici';

import { checkWebhookUrlFormat } from '../domain/webhook-url';
import {
  carriedIPv4,
  describeRange,
  inIPv6GlobalUnicast,
  IPV6_GLOBAL_UNICAST,
  specialPurposeRangeOf,
} from './special-purpose-addresses';

export interface DestinationPolicy {
  /** Allow plain-http URLs (dev); https is required otherwise. */
  allowHttp: boolean;
  /** CIDRs allowed even though they are not public unicast, e.g. ['127.0.0.0/8', '::1/128'] in dev. */
  allowedCidrs: string[];
}

/** Returns every address of a host name (both families). */
export type Resolver = (hostname: string) => Promise<string[]>;

/** The operating system's resolver (getaddrinfo, so /etc/hosts counts), every address, in the order it gave them. */
export const systemResolver: Resolver = async (hostname) => {
  const found = await dns.lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
};

/** Entries of a CIDR list that ipaddr.js cannot parse, for config validation. */
export function invalidCidrs(list: string[]): string[] {
  return list.filter((cidr) => parseCidr(cidr) === null);
}

/**
 * `unresolved`: the URL is well formed and its name is not a local one, but it does not resolve now. A caller saving
 * the URL may keep it (the name may be set up later; every attempt checks again); an attempt cannot send.
 */
export type DestinationCheck =
  { ok: true; url: string; addresses: string[] } | { ok: false; reason: string; unresolved?: { url: string } };
export type AddressCheck = { ok: true } | { ok: false; reason: string };

/**
 * Full check of a webhook URL: format, then the host (literal or resolved) against the policy. Refused when ANY
 * resolved address is blocked: the socket may connect to any of them. `addresses` are the checked addresses, for logs.
 */
export async function checkDestination(
  rawUrl: string,
  policy: DestinationPolicy,
  resolver: Resolver = systemResolver,
): Promise<DestinationCheck> {
  const format = checkWebhookUrlFormat(rawUrl, { allowHttp: policy.allowHttp });
  if (!format.ok) return format;
  const host = hostOf(new URL(format.url));
  const allowed = parseCidrs(policy.allowedCidrs);

  if (net.isIP(host) !== 0) {
    const blocked = blockedBecause(host, allowed);
    return blocked === null
      ? { ok: true, url: format.url, addresses: [host] }
      : { ok: false, reason: `host ${host} is ${blocked}` };
  }
  const nameProblem = localNameProblem(host);
  if (nameProblem !== null) return { ok: false, reason: nameProblem };

  let addresses: string[];
  try {
    addresses = await resolver(host);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      reason: `host ${host} does not resolve${typeof code === 'string' ? ` (${code})` : ''}`,
      unresolved: { url: format.url },
    };
  }
  if (addresses.length === 0) {
    return { ok: false, reason: `host ${host} does not resolve (no addresses)`, unresolved: { url: format.url } };
  }
  for (const address of addresses) {
    const blocked = blockedBecause(address, allowed);
    if (blocked !== null) return { ok: false, reason: `host ${host} resolves to ${address}, ${blocked}` };
  }
  return { ok: true, url: format.url, addresses };
}

/** Checks one IP address (as `net.isIP` accepts it) against the policy. Anything that is not an IP is refused. */
export function checkAddress(ip: string, policy: DestinationPolicy): AddressCheck {
  const blocked = blockedBecause(ip, parseCidrs(policy.allowedCidrs));
  return blocked === null ? { ok: true } : { ok: false, reason: `${ip} is ${blocked}` };
}

/**
 * Thrown (handed to the socket) when a connection would reach a blocked address. undici rejects the request with this
 * very object, so callers test `error.code === 'ERR_BLOCKED_DESTINATION'` (or `instanceof BlockedDestinationError`).
 */
export class BlockedDestinationError extends Error {
  override name = 'BlockedDestinationError';
  readonly code = 'ERR_BLOCKED_DESTINATION' as const;
  constructor(readonly reason: string) {
    super(`destination refused: ${reason}`);
  }
}

/**
 * A `lookup` for undici's Agent `connect` option (the signature net and tls call, honouring `options.all` and
 * `options.family`): resolves with `resolver`, refuses with BlockedDestinationError if ANY address is blocked, otherwise
 * hands back the checked addresses, so the socket connects to an address that was checked. Resolver failures are
 * passed through unchanged (ENOTFOUND, EAI_AGAIN…), so they stay ordinary, retryable DNS errors.
 * Not called for IP-literal hosts: see the module comment.
 */
export function createGuardedLookup(
  policy: DestinationPolicy,
  resolver: Resolver = systemResolver,
): net.LookupFunction {
  const allowed = parseCidrs(policy.allowedCidrs);
  return (hostname, options, callback) => {
    guardedResolve(hostname, allowed, resolver).then(
      (addresses) => {
        const family = familyNumber(options.family);
        const usable = addresses.filter((a) => family === 0 || a.family === family);
        if (usable.length === 0) {
          callback(notFound(hostname), options.all ? [] : '', undefined);
        } else if (options.all) {
          callback(null, usable);
        } else {
          callback(null, usable[0]!.address, usable[0]!.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, options.all ? [] : '', undefined),
    );
  };
}

/**
 * An undici connector (for `new Agent({ connect: createGuardedConnector(policy) })`) that closes the IP-literal gap of
 * the lookup: it refuses blocked literal hosts itself and uses `createGuardedLookup` for names. `connectOptions` are
 * passed to undici's `buildConnector` (timeouts, TLS options…).
 */
export function createGuardedConnector(
  policy: DestinationPolicy,
  resolver: Resolver = systemResolver,
  connectOptions: Omit<buildConnector.BuildOptions, 'lookup'> = {},
): buildConnector.connector {
  const connect = buildConnector({
    ...connectOptions,
    lookup: createGuardedLookup(policy, resolver),
  } as buildConnector.BuildOptions);
  return (options, callback) => {
    const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
    if (net.isIP(host) !== 0) {
      const check = checkAddress(host, policy);
      if (!check.ok) {
        callback(new BlockedDestinationError(`host ${check.reason}`), null);
        return;
      }
    }
    connect(options, callback);
  };
}

async function guardedResolve(hostname: string, allowed: Cidr[], resolver: Resolver): Promise<LookupAddress[]> {
  const nameProblem = localNameProblem(hostname);
  if (nameProblem !== null) throw new BlockedDestinationError(nameProblem);
  const addresses = await resolver(hostname);
  if (addresses.length === 0) throw notFound(hostname);
  for (const address of addresses) {
    const blocked = blockedBecause(address, allowed);
    if (blocked !== null) throw new BlockedDestinationError(`host ${hostname} resolves to ${address}, ${blocked}`);
  }
  return addresses.map((address) => ({ address, family: net.isIP(address) }));
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseCidr(text: string): Cidr | null {
  try {
    return ipaddr.parseCIDR(text.trim());
  } catch {
    return null;
  }
}

/** Unparseable entries are skipped here (they can only make the policy stricter); config rejects them up front. */
function parseCidrs(list: string[]): Cidr[] {
  return list.map(parseCidr).filter((cidr): cidr is Cidr => cidr !== null);
}

function inAllowed(addr: ipaddr.IPv4 | ipaddr.IPv6, allowed: Cidr[]): boolean {
  // ipaddr.js throws when matching across families, so only compare like with like.
  return allowed.some((cidr) => cidr[0].kind() === addr.kind() && addr.match(cidr));
}

/**
 * Why an address is blocked (a phrase like 'in 10.0.0.0/8, Private-Use (RFC 1918), not globally reachable'), or null
 * when it may be reached. The ranges and their verdicts are the table in special-purpose-addresses.ts.
 */
function blockedBecause(ip: string, allowed: Cidr[]): string | null {
  // net.isIP accepts only canonical dotted-quad IPv4 and IPv6 text; ipaddr.parse alone would also take '0x7f.1'.
  if (net.isIP(ip) === 0) return 'not an IP address';
  return judge(parseCanonical(ip), allowed);
}

function judge(addr: ipaddr.IPv4 | ipaddr.IPv6, allowed: Cidr[]): string | null {
  if (inAllowed(addr, allowed)) return null;
  const range = specialPurposeRangeOf(addr);
  if (range === undefined) {
    if (addr.kind() === 'ipv6' && !inIPv6GlobalUnicast(addr as ipaddr.IPv6)) {
      return `outside ${describeRange(IPV6_GLOBAL_UNICAST)}, reserved by the IETF, not globally reachable`;
    }
    return null;
  }
  const where = `in ${describeRange(range)}`;
  if (range.carriesIPv4 !== undefined) {
    const carried = carriedIPv4(addr as ipaddr.IPv6, range.carriesIPv4);
    if (range.judgedBy === 'carried') {
      for (const inner of carried) {
        const blocked = judge(inner, allowed);
        if (blocked !== null) return `${where}, carrying ${inner.toString()}, ${blocked}`;
      }
      return null;
    }
    // The row decides, but an IPv4-mapped address reaches the IPv4 address it carries, so that address's allowance
    // counts (dev mode's 127.0.0.0/8 covers ::ffff:127.0.0.1).
    if (carried.every((inner) => inAllowed(inner, allowed))) return null;
    if (range.globallyReachable !== true) {
      return `${where}, carrying ${carried.map(String).join(' and ')}, not globally reachable`;
    }
    return null;
  }
  if (range.globallyReachable === true) return null;
  if (range.source === 'multicast') return `${where}, not a unicast destination`;
  if (range.globallyReachable === null) return `${where}, no longer assigned, not globally reachable`;
  return `${where}, not globally reachable`;
}

/**
 * Parses an address net.isIP accepted. IPv6 text goes through the WHATWG URL parser first, which writes it in
 * canonical hex: ipaddr.js 2.5.0 reads the deprecated IPv4-compatible spelling `::127.0.0.1` as IPv4-mapped
 * `::ffff:127.0.0.1`, which is another address. A zone index (`fe80::1%eth0`) is dropped; the address is judged alone.
 */
function parseCanonical(ip: string): ipaddr.IPv4 | ipaddr.IPv6 {
  if (net.isIPv4(ip)) return ipaddr.IPv4.parse(ip);
  const bare = ip.replace(/%.*$/, '');
  return ipaddr.IPv6.parse(new URL(`http://[${bare}]/`).hostname.slice(1, -1));
}

/** `localhost` and `*.localhost` (RFC 6761) are this machine, whatever DNS says; refused without asking it. */
function localNameProblem(hostname: string): string | null {
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return `host ${hostname} is a localhost name; use an IP address allowed by DELIVERY_ALLOWED_CIDRS for local receivers`;
  }
  return null;
}

function hostOf(url: URL): string {
  // WHATWG URL has already turned decimal, octal and hex IPv4 spellings into dotted quads, and brackets IPv6.
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function familyNumber(family: number | string | undefined): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}
