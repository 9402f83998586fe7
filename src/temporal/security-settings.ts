/**
 * TEMPORAL_TLS, TEMPORAL_TLS_CERT/_KEY/_CA/_SERVER_NAME and TEMPORAL_API_KEY, as src/config.ts has parsed them, into
 * the TLS and API key settings of every connection to Temporal. Certificates and keys are read here, once, at
 * start-up: a wrong path or a file that is no PEM stops the process naming its variable, instead of failing at the
 * first connection.
 */
import fs from 'node:fs';

import { ConfigError } from '../config-error';
import type { TemporalSecurity } from './connection-options';

export interface TemporalSecurityValues {
  tls: boolean | undefined;
  cert: string | undefined;
  key: string | undefined;
  ca: string | undefined;
  serverName: string | undefined;
  apiKey: string | undefined;
}

/** A PEM given inline, or the path of a file holding one. */
function pemOrFile(name: string, value: string, kind: 'CERTIFICATE' | 'PRIVATE KEY'): Buffer {
  let text = value;
  if (!value.includes('-----BEGIN')) {
    try {
      text = fs.readFileSync(value, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `${name}: not a PEM, and not a readable file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the PEM itself or its file's path`,
      );
    }
  }
  // "PRIVATE KEY" also matches "RSA PRIVATE KEY" and "EC PRIVATE KEY".
  if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text))
    throw new ConfigError(`${name}: holds no PEM ${kind.toLowerCase()} (-----BEGIN …${kind}-----)`);
  return Buffer.from(text);
}

/** An inline value, or a file holding it (a path: starts with / or .), trimmed. */
function valueOrFile(name: string, value: string): string {
  if (!value.startsWith('/') && !value.startsWith('.')) return value;
  try {
    const text = fs.readFileSync(value, 'utf8').trim();
    if (!text) throw new ConfigError(`${name}: ${value} is empty`);
    return text;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${name}: cannot read ${value} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

export function temporalSecurity(v: TemporalSecurityValues): TemporalSecurity {
  const { cert, key, ca, serverName } = v;
  if (cert !== undefined && key === undefined)
    throw new ConfigError('TEMPORAL_TLS_CERT is set without TEMPORAL_TLS_KEY: mutual TLS needs both');
  if (key !== undefined && cert === undefined)
    throw new ConfigError('TEMPORAL_TLS_KEY is set without TEMPORAL_TLS_CERT: mutual TLS needs both');
  const anyTls = cert !== undefined || ca !== undefined || serverName !== undefined;
  if (v.tls === false && anyTls)
    throw new ConfigError('TEMPORAL_TLS=false, but TEMPORAL_TLS_CERT, _KEY, _CA or _SERVER_NAME is set: remove one');
  const apiKey = v.apiKey === undefined ? undefined : valueOrFile('TEMPORAL_API_KEY', v.apiKey);
  const tlsOn = v.tls ?? (anyTls || apiKey !== undefined);
  return {
    tls: tlsOn
      ? {
          ...(ca !== undefined ? { ca: pemOrFile('TEMPORAL_TLS_CA', ca, 'CERTIFICATE') } : {}),
          ...(cert !== undefined && key !== undefined
            ? {
                clientCert: {
                  cert: pemOrFile('TEMPORAL_TLS_CERT', cert, 'CERTIFICATE'),
                  key: pemOrFile('TEMPORAL_TLS_KEY', key, 'PRIVATE KEY'),
                },
              }
            : {}),
          ...(serverName !== undefined ? { serverName } : {}),
        }
      : undefined,
    apiKey,
  };
}
