import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';

import { type EventType, queries, type WebhookRow } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { RelativeTime } from '../components/RelativeTime';
import { StatusBadge } from '../components/StatusBadge';
import { disabledReason, percent } from '../format';
import { useCanManage } from '../session-context';

export function eventNames(types: EventType[] | undefined, events: string[]): string {
  return events.map((e) => types?.find((t) => t.type === e)?.name ?? e).join(', ');
}

/** No webhook yet: the product's setup steps, in order. */
function EmptyState({ canManage }: { canManage: boolean }) {
  return (
    <section className="panel empty" aria-labelledby="empty-heading">
      <h2 id="empty-heading">No webhooks yet</h2>
      <p>Webhooks send your app’s chat events to your chosen destination the moment they happen.</p>
      <ol className="steps">
        <li>
          <strong>Create your webhook endpoint</strong> in your automation platform. In Zapier: create a new Zap, choose
          “Webhooks by Zapier” as the trigger, select “Catch Hook” and copy the webhook URL it gives you.
        </li>
        <li>
          <strong>Add your webhook URL</strong> here: paste the URL from your automation platform. It is checked as you
          type.
        </li>
        <li>
          <strong>Select trigger events</strong>: Message Sent, New User Signup, Custom Conditions or Conversation End.
        </li>
        <li>
          <strong>Configure custom conditions</strong> (optional): describe in plain language when to fire, such as
          “When a user asks about pricing or costs”.
        </li>
        <li>
          <strong>Test the connection</strong>: send a test from the webhook’s page and check that your platform
          received it.
        </li>
      </ol>
      {canManage ? (
        <Link to="/webhooks/new" className="button button-primary">
          Add webhook
        </Link>
      ) : (
        <p className="muted">This link is read-only: someone with a manage link can add the first webhook.</p>
      )}
    </section>
  );
}

function StateCell({ row }: { row: WebhookRow }) {
  const { webhook } = row;
  if (webhook.enabled) return <span className="state state-on">Enabled</span>;
  return (
    <span className="state state-off">
      Disabled <span className="state-reason">({disabledReason(webhook.disabled_reason)})</span>
    </span>
  );
}

function WebhooksTable({ rows, types }: { rows: WebhookRow[]; types: EventType[] | undefined }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Webhooks of this app</caption>
        <thead>
          <tr>
            <th scope="col">Endpoint</th>
            <th scope="col">Events</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Success (24 h)
            </th>
            <th scope="col">Last delivery</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const { webhook, summary } = row;
            const last = summary?.last_delivery;
            return (
              <tr key={webhook.id}>
                <td className="cell-main">
                  <Link to={`/webhooks/${webhook.id}`} className="break">
                    {webhook.url}
                  </Link>
                  {webhook.description && <span className="cell-sub">{webhook.description}</span>}
                </td>
                <td>{eventNames(types, webhook.events)}</td>
                <td>
                  <StateCell row={row} />
                </td>
                <td className="num">
                  {percent(summary?.success_rate)}
                  {summary && summary.attempts > 0 && (
                    <span className="cell-sub">
                      {summary.attempts} attempt{summary.attempts === 1 ? '' : 's'}
                    </span>
                  )}
                </td>
                <td>
                  {last ? (
                    <Link to={`/deliveries/${last.id}`} className="last-delivery">
                      <StatusBadge status={last.status} /> <RelativeTime at={last.at} />
                    </Link>
                  ) : (
                    <span className="muted">None yet</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The list: one page of webhooks and their summaries is two calls, whatever the number of webhooks. */
export function WebhooksPage() {
  const canManage = useCanManage();
  const types = useQuery(queries.eventTypes());
  const pages = useInfiniteQuery({
    queryKey: ['webhooks', 'pages'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => queries.webhookPage(pageParam),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = pages.data?.pages.flatMap((p) => p.rows) ?? [];
  return (
    <Page
      title="Webhooks"
      actions={
        canManage && rows.length > 0 ? (
          <Link to="/webhooks/new" className="button button-primary">
            Add webhook
          </Link>
        ) : null
      }
    >
      {pages.isPending && <Loading />}
      {pages.error && <ErrorAlert error={pages.error} title="The webhooks could not be loaded." />}
      {pages.data && rows.length === 0 && <EmptyState canManage={canManage} />}
      {rows.length > 0 && <WebhooksTable rows={rows} types={types.data} />}
      {pages.hasNextPage && (
        <button
          type="button"
          className="button"
          onClick={() => void pages.fetchNextPage()}
          disabled={pages.isFetchingNextPage}
          aria-busy={pages.isFetchingNextPage}
        >
          Load more
        </button>
      )}
    </Page>
  );
}
