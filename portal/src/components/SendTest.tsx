import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';

import { calls } from '../api';
import { milliseconds } from '../format';
import { ErrorAlert } from './ErrorAlert';
import { StatusBadge } from './StatusBadge';

const EXCERPT = 600;

/** One test delivery of a sample payload, and what the endpoint answered. */
export function SendTest({ webhookId }: { webhookId: string }) {
  const client = useQueryClient();
  const test = useMutation({
    mutationFn: () => calls.sendTest(webhookId),
    onSettled: () => client.invalidateQueries({ queryKey: ['deliveries'] }),
  });
  const result = test.data;
  const attempt = result?.attempt;
  return (
    <section className="panel" aria-labelledby="test-heading">
      <h2 id="test-heading">Test the connection</h2>
      <p className="hint">
        Sends a sample payload of this webhook’s first event, marked <code>"test": true</code>, with one attempt (also
        when the webhook is disabled).
      </p>
      <button
        type="button"
        className="button"
        onClick={() => test.mutate()}
        disabled={test.isPending}
        aria-busy={test.isPending}
      >
        Send test
      </button>
      <div aria-live="polite" className="test-result">
        {test.isPending && <p>Sending…</p>}
        {result && !test.isPending && (
          <div>
            <p>
              <StatusBadge status={result.status} />{' '}
              {result.status === 'pending'
                ? 'The endpoint has not answered yet: the attempt goes on in the background.'
                : attempt && (
                    <>
                      {attempt.status_code !== null ? `HTTP ${attempt.status_code}` : 'No answer'} in{' '}
                      {milliseconds(attempt.duration_ms)}
                      {attempt.error && <> — {attempt.error}</>}
                    </>
                  )}{' '}
              {result.delivery_id && <Link to={`/deliveries/${result.delivery_id}`}>View the test delivery</Link>}
            </p>
            {attempt?.response_excerpt && (
              <>
                <p className="hint">Start of the response body:</p>
                <pre className="code code-small">
                  {attempt.response_excerpt.slice(0, EXCERPT)}
                  {attempt.response_excerpt.length > EXCERPT ? '…' : ''}
                </pre>
              </>
            )}
          </div>
        )}
      </div>
      {test.error && !test.isPending && <ErrorAlert error={test.error} title="The test was not sent." />}
    </section>
  );
}
