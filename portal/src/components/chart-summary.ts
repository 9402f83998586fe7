import type { SeriesPoint } from '../api';
import { dateTime, milliseconds, percent } from '../format';

/** What the chart shows, in words: its text alternative. */
export function summarize(points: SeriesPoint[], windowLabel: string): string {
  const attempts = points.reduce((n, p) => n + p.attempts, 0);
  if (attempts === 0) return `No delivery attempts in the last ${windowLabel}.`;
  const succeeded = points.reduce((n, p) => n + p.succeeded, 0);
  const p95s = points.map((p) => p.response_time_ms.p95).filter((x): x is number => x !== null);
  const worst = points
    .filter((p) => p.success_rate !== null)
    .reduce<SeriesPoint | null>((w, p) => (w === null || p.success_rate! < w.success_rate! ? p : w), null);
  const parts = [
    `${attempts} attempt${attempts === 1 ? '' : 's'} in the last ${windowLabel}, ${percent(succeeded / attempts)} succeeded.`,
  ];
  if (worst && worst.success_rate! < 1) {
    parts.push(`Lowest success rate: ${percent(worst.success_rate)} in the period from ${dateTime(worst.start)}.`);
  }
  if (p95s.length) parts.push(`Slowest p95 response time: ${milliseconds(Math.max(...p95s))}.`);
  return parts.join(' ');
}
