import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';

import { type DeliverySummary, queries } from '../api';
import { RelativeTime } from './RelativeTime';
import { StatusBadge } from './StatusBadge';

function lastAnswer(d: DeliverySummary): string {
  if (d.last_status_code !== null) return `HTTP ${d.last_status_code}`;
  return d.last_error ?? '—';
}

/** Deliveries, newest first; each links to its page with the payload and attempts. */
export function DeliveriesTable({
  deliveries,
  caption,
  showWebhook = false,
}: {
  deliveries: DeliverySummary[];
  caption: string;
  showWebhook?: boolean;
}) {
  const types = useQuery(queries.eventTypes());
  const webhooks = useQuery({ ...queries.allWebhooks(), enabled: showWebhook });
  const typeName = (type: string) => types.data?.find((t) => t.type === type)?.name ?? type;
  const webhookOf = (id: string) => webhooks.data?.find((w) => w.id === id);
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Delivery</th>
            <th scope="col">Status</th>
            {showWebhook && <th scope="col">Webhook</th>}
            <th scope="col">Conversation</th>
            <th scope="col" className="num">
              Attempts
            </th>
            <th scope="col">Last answer</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <tr key={d.id}>
              <td className="cell-main">
                <Link to={`/deliveries/${d.id}`}>
                  {d.condition_id ? typeName('custom_condition') : typeName(d.event_type)}
                </Link>
                {d.is_test && <span className="badge badge-test">Test</span>}
                <span className="cell-sub mono truncate">{d.id}</span>
              </td>
              <td className="nowrap">
                <StatusBadge status={d.status} />
              </td>
              {showWebhook && (
                <td className="truncate" title={webhookOf(d.webhook_id)?.url ?? d.webhook_id}>
                  {webhookOf(d.webhook_id)?.description ?? webhookOf(d.webhook_id)?.url ?? d.webhook_id}
                </td>
              )}
              <td className="mono">{d.conversation_id ?? '—'}</td>
              <td className="num">{d.attempt_count}</td>
              <td className="truncate" title={d.last_error ?? undefined}>
                {lastAnswer(d)}
              </td>
              <td className="nowrap">
                <RelativeTime at={d.created_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
