import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

import { payloadDataConverter, type PayloadKey } from './codec';
import { sdkConnectionOptions, type TemporalSecurity } from './connection-options';

export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

const sdkDefaults = defaultGrpcRetryOptions();
/**
 * The SDK's retries (about 20 s of backoff for an unreachable server), except when the TLS handshake was refused: a
 * wrong or missing certificate does not get better by asking again, and should be reported at once.
 */
const retryAllButTlsRefusals: typeof sdkDefaults = {
  delayFunction: sdkDefaults.delayFunction,
  retryableDecider: (attempt, status) =>
    !/SSL|certificate|handshake|TLS/i.test(status.details) && sdkDefaults.retryableDecider(attempt, status),
};

/**
 * A client whose connection is made on first use, so the API starts (and answers 503 for events) while Temporal is
 * down, and recovers by itself when it comes back.
 */
export function createTemporalClient(opts: {
  address: string;
  namespace: string;
  /** Encrypt payloads with these (TEMPORAL_PAYLOAD_KEYS); undefined: in the clear. */
  payloadKeys: PayloadKey[] | undefined;
  /** TLS, mTLS and API key (the config's `temporal.security`); undefined: plain text. */
  security?: TemporalSecurity;
}): TemporalClientHandle {
  const connection = Connection.lazy({
    ...sdkConnectionOptions(opts.address, opts.security),
    interceptors: [makeGrpcRetryInterceptor(retryAllButTlsRefusals)],
  });
  const client = new Client({
    connection,
    namespace: opts.namespace,
    dataConverter: payloadDataConverter(opts.payloadKeys),
  });
  return { client, connection, close: () => connection.close() };
}
