import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';

import { calls, queries, type Webhook } from '../api';
import { DeliveriesTable } from '../components/DeliveriesTable';
import { ErrorAlert } from '../components/ErrorAlert';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { RecoverPanel } from '../components/RecoverPanel';
import { SecretPanel } from '../components/SecretPanel';
import { SendTest } from '../components/SendTest';
import { StatsPanel } from '../components/StatsPanel';
import { dateTime, disabledReason } from '../format';
import { useCanManage } from '../session-context';
import { eventNames } from './WebhooksPage';

function Details({ webhook }: { webhook: Webhook }) {
  const types = useQuery(queries.eventTypes());
  return (
    <section className="panel" aria-labelledby="details-heading">
      <h2 id="details-heading">Settings</h2>
      <dl className="details">
        <dt>Endpoint URL</dt>
        <dd className="break mono">{webhook.url}</dd>
        <dt>Description</dt>
        <dd>{webhook.description ?? <span className="muted">None</span>}</dd>
        <dt>State</dt>
        <dd>
          {webhook.enabled ? (
            <span className="state state-on">Enabled</span>
          ) : (
            <span className="state state-off">
              Disabled ({disabledReason(webhook.disabled_reason)})
              {webhook.disabled_at && <> since {dateTime(webhook.disabled_at)}</>}
            </span>
          )}
        </dd>
        <dt>Events</dt>
        <dd>{eventNames(types.data, webhook.events)}</dd>
        {webhook.conditions.length > 0 && (
          <>
            <dt>Conditions</dt>
            <dd>
              <ul className="plain-list">
                {webhook.conditions.map((c) => (
                  <li key={c.id}>
                    “{c.prompt}”{' '}
                    <span className="muted">
                      ({c.fire === 'every_match' ? 'every match' : 'once per conversation'})
                    </span>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        <dt>Retry schedule</dt>
        <dd className="mono">
          {webhook.retry_schedule === null ? 'Service default' : webhook.retry_schedule || 'No retries'}
        </dd>
        <dt>Timeout</dt>
        <dd>{webhook.timeout_ms === null ? 'Service default' : `${webhook.timeout_ms} ms`}</dd>
        {webhook.failing_since && (
          <>
            <dt>Failing since</dt>
            <dd>{dateTime(webhook.failing_since)}</dd>
          </>
        )}
        <dt>Created</dt>
        <dd>{dateTime(webhook.created_at)}</dd>
        <dt>Webhook id</dt>
        <dd className="mono">{webhook.id}</dd>
      </dl>
    </section>
  );
}

function RecentDeliveries({ webhookId }: { webhookId: string }) {
  const recent = useQuery({
    queryKey: ['deliveries', { webhook_id: webhookId }, 'recent'],
    queryFn: () => queries.deliveryPage({ webhook_id: webhookId }, 10, undefined),
  });
  return (
    <section className="panel" aria-labelledby="recent-heading">
      <div className="panel-head">
        <h2 id="recent-heading">Recent deliveries</h2>
        <Link to={`/deliveries?webhook_id=${encodeURIComponent(webhookId)}`}>All deliveries of this webhook</Link>
      </div>
      {recent.isPending && <Loading />}
      {recent.error && <ErrorAlert error={recent.error} />}
      {recent.data && recent.data.data.length === 0 && <p className="muted">No deliveries yet.</p>}
      {recent.data && recent.data.data.length > 0 && (
        <DeliveriesTable deliveries={recent.data.data} caption="The 10 most recent deliveries of this webhook" />
      )}
    </section>
  );
}

function EnableToggle({ webhook }: { webhook: Webhook }) {
  const client = useQueryClient();
  const toggle = useMutation({
    mutationFn: () => calls.updateWebhook(webhook.id, { enabled: !webhook.enabled }),
    onSuccess: (updated) => {
      client.setQueryData(queries.webhook(webhook.id).queryKey, updated);
      void client.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });
  return (
    <>
      <button
        type="button"
        className="button"
        onClick={() => toggle.mutate()}
        disabled={toggle.isPending}
        aria-busy={toggle.isPending}
      >
        {webhook.enabled ? 'Disable webhook' : 'Enable webhook'}
      </button>
      {toggle.error && <ErrorAlert error={toggle.error} />}
    </>
  );
}

export function WebhookPage({ params }: { params: { id: string } }) {
  const canManage = useCanManage();
  const webhook = useQuery(queries.webhook(params.id));
  const w = webhook.data;
  if (!w) {
    return (
      <Page title="Webhook">
        {webhook.isPending && <Loading />}
        {webhook.error && <ErrorAlert error={webhook.error} />}
        <Link to="/">Back to the webhooks</Link>
      </Page>
    );
  }
  return (
    <Page
      title={w.description ?? 'Webhook'}
      heading={<span className="break">{w.description ?? w.url}</span>}
      lead={w.description ? <span className="break">{w.url}</span> : undefined}
      actions={
        canManage ? (
          <>
            <Link to={`/webhooks/${w.id}/edit`} className="button">
              Edit webhook
            </Link>
            <EnableToggle webhook={w} />
          </>
        ) : null
      }
    >
      <div className="grid">
        <Details webhook={w} />
        {canManage && <SecretPanel webhookId={w.id} />}
        {canManage && <SendTest webhookId={w.id} />}
      </div>
      <StatsPanel webhookId={w.id} />
      <RecentDeliveries webhookId={w.id} />
      {canManage && <RecoverPanel webhookId={w.id} />}
    </Page>
  );
}
