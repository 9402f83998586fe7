import { errorMessage } from '../api';

/** A failed call, in the server's words. */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  return (
    <div className="alert alert-error" role="alert">
      {title && <strong>{title} </strong>}
      {errorMessage(error)}
    </div>
  );
}
