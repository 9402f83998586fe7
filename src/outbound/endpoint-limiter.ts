/**
 * Caps the requests one endpoint can have in flight from this worker, so a slow or hanging receiver cannot take every
 * activity slot. A full endpoint is reported at once (the delivery waits on a workflow timer and asks again); nothing
 * here waits or sleeps.
 */
export interface EndpointLimiter {
  /** A release function when a slot was free; undefined when the endpoint is at its limit. */
  tryAcquire(url: string): (() => void) | undefined;
  inFlight(url: string): number;
}

/** Endpoints are told apart by scheme, host and port: paths on one server share its capacity. */
function endpointKey(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function createEndpointLimiter(maxInFlight: number): EndpointLimiter {
  const counts = new Map<string, number>();
  return {
    tryAcquire(url) {
      const key = endpointKey(url);
      const current = counts.get(key) ?? 0;
      if (current >= maxInFlight) return undefined;
      counts.set(key, current + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(key) ?? 1) - 1;
        if (left <= 0) counts.delete(key);
        else counts.set(key, left);
      };
    },
    inFlight: (url) => counts.get(endpointKey(url)) ?? 0,
  };
}
