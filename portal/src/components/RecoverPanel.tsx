import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';

import { calls, queries } from '../api';
import { dateTime } from '../format';
import { ErrorAlert } from './ErrorAlert';

const SINCE = [
  { value: '1h', label: 'the last hour' },
  { value: '6h', label: 'the last 6 hours' },
  { value: '24h', label: 'the last 24 hours' },
  { value: '3d', label: 'the last 3 days' },
  { value: '7d', label: 'the last 7 days' },
  { value: '14d', label: 'the last 14 days' },
];

function Progress({ webhookId, recoveryId }: { webhookId: string; recoveryId: string }) {
  const client = useQueryClient();
  const progress = useQuery({
    ...queries.recovery(webhookId, recoveryId),
    refetchInterval: (query) => (query.state.data?.done ? false : 1000),
  });
  const p = progress.data;
  useEffect(() => {
    if (p?.done) void client.invalidateQueries({ queryKey: ['deliveries'] });
  }, [p?.done, client]);
  if (progress.error) return <ErrorAlert error={progress.error} />;
  if (!p) return <p role="status">Starting the recovery…</p>;
  return (
    <div className="recovery-progress">
      <label htmlFor={`recovery-${recoveryId}`}>Recovery progress</label>
      <progress id={`recovery-${recoveryId}`} max={Math.max(p.total, 1)} value={p.done && p.total === 0 ? 1 : p.sent} />
      <p role="status">
        {p.done ? 'Done: ' : 'Sending: '}
        {p.sent} of {p.total} sent, {p.succeeded} succeeded, {p.failed} failed.
        {p.done && p.total === 0 && ' There was nothing to recover in that window.'}
      </p>
    </div>
  );
}

/**
 * Sends every failed or skipped delivery of a webhook in a window again (POST …/recover), then follows the
 * recovery's progress until it is done.
 */
export function RecoverPanel({ webhookId: fixedWebhook }: { webhookId?: string }) {
  const webhooks = useQuery({ ...queries.allWebhooks(), enabled: !fixedWebhook });
  const [picked, setPicked] = useState('');
  const [since, setSince] = useState('24h');
  const webhookId = fixedWebhook ?? (picked || webhooks.data?.[0]?.id || '');
  const recover = useMutation({
    mutationFn: (input: { webhookId: string; since: string }) => calls.recover(input.webhookId, input.since),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (webhookId) recover.mutate({ webhookId, since });
  };
  if (!fixedWebhook && webhooks.data?.length === 0) return null;

  return (
    <section className="panel" aria-labelledby="recover-heading">
      <h2 id="recover-heading">Recover failed deliveries</h2>
      <p className="hint">
        After an outage or a fix on your side: every failed or skipped delivery in the window is sent again, a few at a
        time.
      </p>
      <form className="inline-form" onSubmit={submit}>
        {!fixedWebhook && (
          <div className="field">
            <label htmlFor="recover-webhook">Webhook to recover</label>
            <select
              id="recover-webhook"
              className="input"
              value={webhookId}
              onChange={(e) => setPicked(e.target.value)}
            >
              {webhooks.data?.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.description ? `${w.description} — ${w.url}` : w.url}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor="recover-since">Since</label>
          <select id="recover-since" className="input" value={since} onChange={(e) => setSince(e.target.value)}>
            {SINCE.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <button
          type="submit"
          className="button"
          disabled={!webhookId || recover.isPending}
          aria-busy={recover.isPending}
        >
          Recover failed deliveries
        </button>
      </form>
      {recover.error && <ErrorAlert error={recover.error} title="The recovery did not start." />}
      {recover.data && recover.variables && (
        <>
          <p className="hint">
            Deliveries created from {dateTime(recover.data.since)} to {dateTime(recover.data.until)}.
          </p>
          {recover.data.warnings?.map((w) => (
            <p key={w} className="alert alert-warn">
              {w}
            </p>
          ))}
          <Progress
            key={recover.data.recovery_id}
            webhookId={recover.variables.webhookId}
            recoveryId={recover.data.recovery_id}
          />
        </>
      )}
    </section>
  );
}
