import { Client, Connection } from '@temporalio/client';

import { payloadDataConverter, type PayloadKey } from './codec';
import { sdkConnectionOptions, type TemporalSecurity } from './connection-options';

export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

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
  const connection = Connection.lazy(sdkConnectionOptions(opts.address, opts.security));
  const client = new Client({
    connection,
    namespace: opts.namespace,
    dataConverter: payloadDataConverter(opts.payloadKeys),
  });
  return { client, connection, close: () => connection.close() };
}
