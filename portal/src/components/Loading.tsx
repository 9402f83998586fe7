/** Shown while a page's data is on its way. */
export function Loading({ what = 'Loading…' }: { what?: string }) {
  return (
    <p className="loading" role="status" aria-busy="true">
      {what}
    </p>
  );
}
