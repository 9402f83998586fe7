import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Link } from 'wouter';

import { calls, type DeliveryDetail, queries } from '../api';
import { CopyButton } from '../components/CopyButton';
import { ErrorAlert } from '../components/ErrorAlert';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { StatusBadge } from '../components/StatusBadge';
import { dateTime, milliseconds } from '../format';
import { useCanManage } from '../session-context';

/** A fresh key per click: a double click or a retried request starts one replay, a later click another. */
function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `portal-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function Attempts({ delivery }: { delivery: DeliveryDetail }) {
  if (delivery.attempts.length === 0) {
    return <p className="muted">No attempt was made{delivery.last_error ? `: ${delivery.last_error}` : '.'}</p>;
  }
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Attempts, first to last</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              Attempt
            </th>
            <th scope="col">Time</th>
            <th scope="col">Status code</th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col">Error</th>
            <th scope="col">Response</th>
          </tr>
        </thead>
        <tbody>
          {delivery.attempts.map((a) => (
            <tr key={`${a.attempt}-${a.started_at}`}>
              <th scope="row" className="num">
                {a.attempt}
              </th>
              <td>{dateTime(a.started_at)}</td>
              <td>{a.status_code ?? <span className="muted">No answer</span>}</td>
              <td className="num">{milliseconds(a.duration_ms)}</td>
              <td>
                {a.error_class ? (
                  <>
                    <span className="mono">{a.error_class}</span>
                    {a.error_message && <span className="cell-sub">{a.error_message}</span>}
                  </>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td className="cell-response">
                {a.response_excerpt ? (
                  <pre className="code code-small" tabIndex={0}>
                    {a.response_excerpt}
                  </pre>
                ) : (
                  <span className="muted">Empty</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Replay({ delivery, onStarted }: { delivery: DeliveryDetail; onStarted: () => void }) {
  const client = useQueryClient();
  const key = useRef<string>('');
  const replay = useMutation({
    mutationFn: () => calls.replay(delivery.id, key.current),
    onSuccess: () => {
      onStarted();
      void client.invalidateQueries({ queryKey: ['delivery', delivery.id] });
      void client.invalidateQueries({ queryKey: ['deliveries'] });
    },
  });
  return (
    <div className="replay">
      <button
        type="button"
        className="button button-primary"
        disabled={replay.isPending}
        aria-busy={replay.isPending}
        onClick={() => {
          key.current = idempotencyKey();
          replay.mutate();
        }}
      >
        Replay
      </button>
      <div role="status">
        {replay.data && (
          <p className="alert alert-success">
            Replay started: the payload goes again with the same webhook-id, and its attempts are added to{' '}
            <Link to={`/deliveries/${replay.data.delivery_id}`}>delivery {replay.data.delivery_id}</Link>.
          </p>
        )}
      </div>
      {replay.error && <ErrorAlert error={replay.error} title="The replay did not start." />}
    </div>
  );
}

export function DeliveryPage({ params }: { params: { id: string } }) {
  const canManage = useCanManage();
  const types = useQuery(queries.eventTypes());
  // After a replay, the page follows the delivery until the new attempt is in (or for 30 s at most).
  const [watch, setWatch] = useState<{ until: number; attempts: number } | null>(null);
  const delivery = useQuery({
    ...queries.delivery(params.id),
    // While attempts are still to come (a retry waiting, a replay under way), keep the page current.
    refetchInterval: (query) => {
      const data = query.state.data;
      if (data?.status === 'pending') return 3000;
      if (watch && Date.now() < watch.until && (data?.attempts.length ?? 0) <= watch.attempts) return 1000;
      return false;
    },
  });
  const d = delivery.data;
  if (!d) {
    return (
      <Page title="Delivery">
        {delivery.isPending && <Loading />}
        {delivery.error && <ErrorAlert error={delivery.error} />}
        <Link to="/deliveries">Back to the delivery log</Link>
      </Page>
    );
  }
  const typeName = types.data?.find((t) => t.type === (d.condition_id ? 'custom_condition' : d.event_type))?.name;
  const payload = JSON.stringify(d.payload, null, 2);
  return (
    <Page
      title={`Delivery ${d.id}`}
      heading={
        <>
          Delivery <span className="mono">{d.id}</span>
        </>
      }
      actions={
        canManage ? (
          <Replay
            delivery={d}
            onStarted={() => setWatch({ until: Date.now() + 30_000, attempts: d.attempts.length })}
          />
        ) : null
      }
    >
      <section className="panel" aria-labelledby="summary-heading">
        <h2 id="summary-heading">Summary</h2>
        <dl className="details">
          <dt>Status</dt>
          <dd>
            <StatusBadge status={d.status} />
            {d.is_test && <span className="badge badge-test">Test</span>}
            {d.status === 'pending' && d.next_attempt_at && (
              <span className="muted"> next attempt {dateTime(d.next_attempt_at)}</span>
            )}
          </dd>
          <dt>Event</dt>
          <dd>
            {typeName ?? d.event_type} <span className="muted mono">{d.event_id}</span>
          </dd>
          {d.condition_id && (
            <>
              <dt>Condition</dt>
              <dd className="mono">{d.condition_id}</dd>
            </>
          )}
          <dt>Webhook</dt>
          <dd>
            <Link to={`/webhooks/${d.webhook_id}`} className="mono">
              {d.webhook_id}
            </Link>
          </dd>
          <dt>Conversation</dt>
          <dd className="mono">
            {d.conversation_id ? (
              <Link to={`/deliveries?conversation_id=${encodeURIComponent(d.conversation_id)}`}>
                {d.conversation_id}
              </Link>
            ) : (
              '—'
            )}
          </dd>
          <dt>Created</dt>
          <dd>{dateTime(d.created_at)}</dd>
          <dt>Completed</dt>
          <dd>{d.completed_at ? dateTime(d.completed_at) : '—'}</dd>
          {d.last_error && (
            <>
              <dt>Last error</dt>
              <dd>{d.last_error}</dd>
            </>
          )}
        </dl>
      </section>
      <section className="panel" aria-labelledby="payload-heading">
        <div className="panel-head">
          <h2 id="payload-heading">Payload</h2>
          {d.payload !== null && <CopyButton text={payload} label="Copy payload" className="button button-small" />}
        </div>
        {d.payload === null ? (
          <p className="muted">
            {d.erased_at
              ? `Erased ${dateTime(d.erased_at)}: its user's data was deleted.`
              : `Deleted ${d.payload_expired_at ? dateTime(d.payload_expired_at) : ''} under the payload retention period.`}
          </p>
        ) : (
          <pre className="code" tabIndex={0}>
            {payload}
          </pre>
        )}
      </section>
      <section className="panel" aria-labelledby="attempts-heading">
        <h2 id="attempts-heading">Attempts</h2>
        <Attempts delivery={d} />
      </section>
    </Page>
  );
}
