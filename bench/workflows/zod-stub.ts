/**
 * A stand-in for zod inside the workflow bundle, for one measurement only ("workflow bundle without zod").
 *
 * Workflows once imported constants from src/domain/events.ts, which builds zod schemas when it loads; the SDK loads
 * the bundle's modules afresh for every workflow, so every workflow paid for building them. They now come from
 * zod-free modules (src/temporal/contracts.ts, and src/domain/events.ts since its schemas moved to event-body.ts). The bench still bundles with this stub: when the stubbed bundle is smaller than
 * the real one, zod is back in it, and the row measures what that costs. The stub answers every property access and
 * call with itself, so modules load without zod; workflows never validate anything, so they behave the same.
 */
const chain: any = new Proxy(function stub() {}, {
  get: (_target, prop) => (prop === Symbol.toPrimitive ? () => '' : prop === Symbol.iterator ? undefined : chain),
  apply: () => chain,
  construct: () => chain,
});

export const z = chain;
export default chain;
