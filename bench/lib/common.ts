/**
 * Small helpers shared by the benchmark's parent process and its children.
 */
import { freePortForChild } from '../../src/net/free-port';

/**
 * Milliseconds on CLOCK_MONOTONIC (`process.hrtime`), which every process on the machine shares: a send time taken in
 * the load generator and a receipt time taken in the receiver process can be subtracted directly.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarise(values: number[]): { count: number; p50: number; p95: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/** A port for a child process to listen on (below the ephemeral range, so a parallel `listen(0)` cannot take it first). */
export const freePort = freePortForChild;

/** The chat event every system ingests: the same JSON body, posted to each system's own ingest endpoint. */
export function chatEventBody(id: string, conversation: string) {
  return {
    id,
    type: 'message_sent' as const,
    conversation_id: conversation,
    user: { id: 'u_7', email: 'user@example.com', name: 'John Doe', logged_in: true },
    message: 'How much does the pro plan cost?',
    response: 'The pro plan is $20 per month, billed monthly; the team plan is $15 per seat.',
  };
}

export const round = (n: number, digits = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);
