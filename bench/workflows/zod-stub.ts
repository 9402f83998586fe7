/**
 * A stand-in for zod inside the workflow bundle, for one measurement only ("workflow bundle without zod").
 *
 * Workflows import constants from src/domain/events.ts, which builds zod schemas when it loads. The SDK loads the
 * bundle's modules afresh for every workflow, so every workflow pays for building them. This stub answers every
 * property access and call with itself, so those modules load without zod; workflows never validate anything, so
 * they behave the same. It shows what moving the constants to a zod-free module would save.
 */
const chain: any = new Proxy(function stub() {}, {
  get: (_target, prop) => (prop === Symbol.toPrimitive ? () => '' : prop === Symbol.iterator ? undefined : chain),
  apply: () => chain,
  construct: () => chain,
});

export const z = chain;
export default chain;
