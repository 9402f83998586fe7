import { Client, Connection } from '@temporalio/client';

export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/**
 * A client whose connection is made on first use, so the API starts (and answers 503 for events) while Temporal is
 * down, and recovers by itself when it comes back.
 */
export function createTemporalClient(opts: { address: string; namespace: string }): TemporalClientHandle {
  const connection = Connection.lazy({ address: opts.address });
  const client = new Client({ connection, namespace: opts.namespace });
  return { client, connection, close: () => connection.close() };
}
