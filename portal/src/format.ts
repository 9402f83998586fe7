/** How numbers, times and reasons read on the page. */

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

export function relativeTime(iso: string, now = Date.now()): string {
  const diff = Date.parse(iso) - now;
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size || unit === 'second') return relative.format(Math.round(diff / size), unit);
  }
  return iso;
}

export function dateTime(iso: string): string {
  return absolute.format(new Date(iso));
}

export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  const value = rate * 100;
  return `${value === 100 || value === 0 ? value.toFixed(0) : value.toFixed(1)}%`;
}

export function milliseconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}

/** Why a webhook is off, in words: the API's reasons are codes. */
export function disabledReason(reason: string | null): string {
  switch (reason) {
    case 'gone':
      return 'the endpoint answered 410 Gone';
    case 'failing':
      return 'disabled after repeated failures';
    case null:
    case 'disabled by user':
      return 'turned off';
    default:
      return reason;
  }
}

export function statusLabel(status: string): string {
  switch (status) {
    case 'succeeded':
      return 'Succeeded';
    case 'failed':
      return 'Failed';
    case 'pending':
      return 'Pending';
    case 'skipped':
      return 'Skipped';
    default:
      return status;
  }
}
