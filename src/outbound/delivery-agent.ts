import { Agent } from 'undici';

import { createGuardedConnector, type DestinationPolicy, type Resolver } from '../security/destination';

/**
 * The HTTP agent deliveries go through. Every connection is made by the guarded connector: the host name is resolved
 * once, every address is checked against the destination policy, and the socket connects to a checked address, so a
 * name cannot be rebound to a private address between the check and the connection. Keep-alive connections to
 * receivers are reused; a receiver that hangs is cut by the per-attempt timeout.
 */
export function createDeliveryAgent(opts: {
  policy: DestinationPolicy;
  resolver?: Resolver;
  connectTimeoutMs: number;
}): Agent {
  return new Agent({
    keepAliveTimeout: 4_000,
    connect: createGuardedConnector(opts.policy, opts.resolver, { timeout: opts.connectTimeoutMs }),
  });
}
