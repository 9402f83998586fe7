import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { useSearchParams } from 'wouter';

import { type DeliveryFilters, type DeliveryStatus, queries } from '../api';
import { DeliveriesTable } from '../components/DeliveriesTable';
import { ErrorAlert } from '../components/ErrorAlert';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { RecoverPanel } from '../components/RecoverPanel';
import { useCanManage } from '../session-context';

const PAGE_SIZE = 25;

const RANGES = [
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { value: 'all', label: 'All time', ms: null },
] as const;

const STATUSES: Array<{ value: DeliveryStatus; label: string }> = [
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'failed', label: 'Failed' },
  { value: 'pending', label: 'Pending' },
  { value: 'skipped', label: 'Skipped' },
];

type FilterName = 'webhook_id' | 'status' | 'event_type' | 'conversation_id' | 'range';

/** The log's filters live in the query string, so a filtered view can be bookmarked, shared and reloaded. */
function useFilters() {
  const [params, setParams] = useSearchParams();
  const get = (name: FilterName) => params.get(name) ?? '';
  const set = (name: FilterName, value: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  return { get, set };
}

export function DeliveriesPage() {
  const canManage = useCanManage();
  const { get, set } = useFilters();
  const types = useQuery(queries.eventTypes());
  const webhooks = useQuery(queries.allWebhooks());
  const range = RANGES.find((r) => r.value === get('range')) ?? RANGES[RANGES.length - 1]!;
  const [conversation, setConversation] = useState(get('conversation_id'));

  const webhookId = get('webhook_id');
  const status = get('status');
  const eventType = get('event_type');
  const conversationId = get('conversation_id');
  const filters = useMemo((): DeliveryFilters => {
    const f: DeliveryFilters = {};
    if (webhookId) f.webhook_id = webhookId;
    if (STATUSES.some((s) => s.value === status)) f.status = status as DeliveryStatus;
    if (eventType === 'message_sent' || eventType === 'user_signup' || eventType === 'conversation_end') {
      f.event_type = eventType;
    }
    if (conversationId) f.conversation_id = conversationId;
    // The window's start is fixed when the filters change, so every page of one listing shares it.
    if (range.ms !== null) f.since = new Date(Date.now() - range.ms).toISOString();
    return f;
  }, [webhookId, status, eventType, conversationId, range.ms]);

  const log = useInfiniteQuery({
    queryKey: ['deliveries', 'log', filters],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => queries.deliveryPage(filters, PAGE_SIZE, pageParam),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = log.data?.pages.flatMap((p) => p.data) ?? [];
  const eventOptions = types.data?.filter((t) => t.type !== 'custom_condition') ?? [];

  const applyConversation = (e: FormEvent) => {
    e.preventDefault();
    set('conversation_id', conversation.trim());
  };

  return (
    <Page title="Delivery log" lead="Every delivery to your webhooks, newest first, with its payload and attempts.">
      <form className="filters panel" onSubmit={applyConversation} aria-label="Filter deliveries">
        <div className="field">
          <label htmlFor="filter-webhook">Webhook</label>
          <select
            id="filter-webhook"
            className="input"
            value={webhookId}
            onChange={(e) => set('webhook_id', e.target.value)}
          >
            <option value="">All webhooks</option>
            {webhooks.data?.map((w) => (
              <option key={w.id} value={w.id}>
                {w.description ? `${w.description} — ${w.url}` : w.url}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-status">Status</label>
          <select
            id="filter-status"
            className="input"
            value={filters.status ?? ''}
            onChange={(e) => set('status', e.target.value)}
          >
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-event">Event type</label>
          <select
            id="filter-event"
            className="input"
            value={filters.event_type ?? ''}
            onChange={(e) => set('event_type', e.target.value)}
          >
            <option value="">Any event</option>
            {eventOptions.map((t) => (
              <option key={t.type} value={t.type}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-range">Time</label>
          <select
            id="filter-range"
            className="input"
            value={range.value}
            onChange={(e) => set('range', e.target.value)}
          >
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-conversation">Conversation id</label>
          <div className="input-group">
            <input
              id="filter-conversation"
              className="input mono"
              value={conversation}
              spellCheck={false}
              onChange={(e) => setConversation(e.target.value)}
            />
            <button type="submit" className="button">
              Apply
            </button>
          </div>
        </div>
      </form>

      {log.isPending && <Loading />}
      {log.error && <ErrorAlert error={log.error} title="The deliveries could not be loaded." />}
      {log.data && rows.length === 0 && <p className="panel muted">No deliveries match these filters.</p>}
      {rows.length > 0 && <DeliveriesTable deliveries={rows} caption="Deliveries, newest first" showWebhook />}
      {log.hasNextPage && (
        <button
          type="button"
          className="button"
          onClick={() => void log.fetchNextPage()}
          disabled={log.isFetchingNextPage}
          aria-busy={log.isFetchingNextPage}
        >
          Load more
        </button>
      )}
      {canManage && <RecoverPanel />}
    </Page>
  );
}
