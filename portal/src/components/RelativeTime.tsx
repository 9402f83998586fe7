import { dateTime, relativeTime } from '../format';

/** "3 minutes ago", with the exact moment as its machine value and tooltip. */
export function RelativeTime({ at }: { at: string }) {
  return (
    <time dateTime={at} title={dateTime(at)}>
      {relativeTime(at)}
    </time>
  );
}
