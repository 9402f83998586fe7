import { statusLabel } from '../format';

/** A delivery's or attempt's status, in words and colour (the words carry it; the colour only helps). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{statusLabel(status)}</span>;
}
