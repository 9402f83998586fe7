/**
 * Durations as people write them in configuration: `500ms`, `5s`, `5m`, `2h`, `1d`.
 * Pure code: workflows import it.
 */
export const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses one duration into milliseconds, or returns an error message naming the bad input. */
export function parseDuration(text: string): number | { error: string } {
  const match = DURATION.exec(text.trim());
  if (!match) return { error: `"${text}" is not a duration such as 500ms, 5s, 5m, 2h or 1d` };
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
}

/**
 * Parses a retry schedule: comma-separated delays between attempts. `5s,5m` means three attempts in all: at once,
 * 5 s after the first failure, 5 min after the second.
 */
export function parseRetrySchedule(text: string): number[] | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const delays: number[] = [];
  for (const part of trimmed.split(',')) {
    const parsed = parseDuration(part);
    if (typeof parsed !== 'number') return parsed;
    delays.push(parsed);
  }
  return delays;
}

export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
