/**
 * How every Temporal connection of the project is made (the API's client, the worker, the worker's own client, the
 * retention schedule and the search-attribute setup in `migrate`): the address plus the TLS, mTLS and API-key settings
 * of a secured cluster or Temporal Cloud (TEMPORAL_TLS_*, TEMPORAL_API_KEY in src/config.ts).
 */
import type { TLSConfig } from '@temporalio/client';

export interface TemporalSecurity {
  /** undefined: a plain-text connection (a local server, the dev server). */
  tls:
    | {
        /** PEM of the CA that signed the server's certificate; undefined: the system's trusted CAs. */
        ca?: Buffer;
        /** The client certificate and its key, for mutual TLS. */
        clientCert?: { cert: Buffer; key: Buffer };
        /** The name the server's certificate is checked against, when it is not the address's host. */
        serverName?: string;
      }
    | undefined;
  /** Sent as `Authorization: Bearer …` on every call (Temporal Cloud API keys). */
  apiKey: string | undefined;
}

export const PLAIN_TEXT: TemporalSecurity = { tls: undefined, apiKey: undefined };

/** The options both SDK connections (`Connection`, `NativeConnection`) take for one address. */
export function sdkConnectionOptions(
  address: string,
  security: TemporalSecurity = PLAIN_TEXT,
): { address: string; tls?: TLSConfig; apiKey?: string } {
  const { tls, apiKey } = security;
  return {
    address,
    ...(tls
      ? {
          tls: {
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
            ...(tls.ca ? { serverRootCACertificate: tls.ca } : {}),
            ...(tls.clientCert ? { clientCertPair: { crt: tls.clientCert.cert, key: tls.clientCert.key } } : {}),
          },
        }
      : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** One line saying how a connection was attempted, for the error when it fails: never a key or a certificate. */
export function describeConnection(address: string, security: TemporalSecurity = PLAIN_TEXT): string {
  const parts = [`Temporal at ${address}`];
  if (!security.tls) parts.push('without TLS (set TEMPORAL_TLS_* for a secured cluster)');
  else {
    parts.push(
      `over TLS (CA: ${security.tls.ca ? 'TEMPORAL_TLS_CA' : "the system's"}, client certificate: ${
        security.tls.clientCert ? 'TEMPORAL_TLS_CERT' : 'none'
      }${security.tls.serverName ? `, server name ${security.tls.serverName}` : ''})`,
    );
  }
  if (security.apiKey) parts.push('with TEMPORAL_API_KEY');
  return parts.join(' ');
}

/** A failed first connection, named: where, how, and what the server or the TLS layer said. */
export class TemporalConnectError extends Error {
  override name = 'TemporalConnectError';
  constructor(address: string, security: TemporalSecurity, cause: unknown) {
    super(`could not connect to ${describeConnection(address, security)}: ${(cause as Error)?.message ?? cause}`, {
      cause,
    });
  }
}
