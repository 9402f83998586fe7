/**
 * Time and randomness for workflow code. Inside the workflow sandbox, `Date` and `Math.random` are replaced with
 * replay-safe versions (the clock is the workflow task's start; the PRNG is seeded from the run). This is the one file
 * that relies on that; the lint forbids both everywhere else in workflows/, so a helper that reads the real clock
 * cannot slip in unnoticed.
 */

/** The current workflow task's time. */
export function workflowNow(): Date {
  return new Date();
}

/** A replay-safe random number in [0, 1). */
export function workflowRandom(): number {
  return Math.random();
}
