import { type FormEvent, type ReactNode, useState } from 'react';

import type { CreateWebhookBody, EventTypeId, UpdateWebhookBody, Webhook } from '../api';
import { type ConditionDraft, ConditionsEditor, newCondition } from './ConditionsEditor';
import { EventPicker } from './EventPicker';
import { TryPrompt } from './TryPrompt';
import { UrlField } from './UrlField';

export interface WebhookDraft {
  url: string;
  description: string;
  events: EventTypeId[];
  conditions: ConditionDraft[];
  enabled: boolean;
  retrySchedule: string;
  timeout: string;
  /** A CEL expression; "" for none. */
  filter: string;
  format: WebhookFormat;
}

type WebhookFormat = Webhook['format'];
const FORMATS: Array<{ value: WebhookFormat; label: string }> = [
  { value: 'standard', label: 'Standard JSON payload (Zapier, Make, your own API)' },
  { value: 'slack', label: 'Slack incoming webhook (a message with blocks)' },
  { value: 'discord', label: 'Discord webhook (a message with an embed)' },
  { value: 'teams', label: 'Microsoft Teams Workflows webhook (an Adaptive Card)' },
];

export const EMPTY_DRAFT: WebhookDraft = {
  url: '',
  description: '',
  events: [],
  conditions: [],
  enabled: true,
  retrySchedule: '',
  timeout: '',
  filter: '',
  format: 'standard',
};

export function draftOf(webhook: Webhook): WebhookDraft {
  return {
    url: webhook.url,
    description: webhook.description ?? '',
    events: webhook.events,
    conditions: webhook.conditions.map((c) => newCondition(c.prompt, c.fire, c.id, c.prefilter ?? '')),
    enabled: webhook.enabled,
    retrySchedule: webhook.retry_schedule ?? '',
    timeout: webhook.timeout_ms === null ? '' : String(webhook.timeout_ms),
    filter: webhook.filter ?? '',
    format: webhook.format,
  };
}

const wantsConditions = (d: WebhookDraft) => d.events.includes('custom_condition');
const conditionsOf = (d: WebhookDraft) =>
  wantsConditions(d)
    ? d.conditions.map((c) => ({
        ...(c.id ? { id: c.id } : {}),
        prompt: c.prompt,
        fire: c.fire,
        ...(c.prefilter.trim() ? { prefilter: c.prefilter.trim() } : {}),
      }))
    : [];
const TIMEOUT = /^\s*\d+\s*$/;
/** submit() has checked that the text is digits; the server checks the range. */
const timeoutOf = (text: string): number => Number(text.trim());

export function createBody(d: WebhookDraft): CreateWebhookBody {
  const conditions = conditionsOf(d);
  return {
    url: d.url.trim(),
    events: d.events,
    enabled: d.enabled,
    ...(d.description.trim() ? { description: d.description.trim() } : {}),
    ...(conditions.length ? { conditions } : {}),
    ...(d.retrySchedule.trim() ? { retry_schedule: d.retrySchedule.trim() } : {}),
    ...(d.timeout.trim() ? { timeout_ms: timeoutOf(d.timeout) } : {}),
    ...(d.filter.trim() ? { filter: d.filter.trim() } : {}),
    format: d.format,
  };
}

/**
 * Only what changed, so that saving one field leaves the others as the server has them. Events and conditions go
 * together whenever either changes: the server checks that they agree.
 */
export function updateBody(d: WebhookDraft, before: WebhookDraft): UpdateWebhookBody {
  const body: UpdateWebhookBody = {};
  if (d.url.trim() !== before.url) body.url = d.url.trim();
  if (d.description.trim() !== before.description) body.description = d.description.trim() || null;
  const conditions = conditionsOf(d);
  if (d.events.join() !== before.events.join() || JSON.stringify(conditions) !== JSON.stringify(conditionsOf(before))) {
    body.events = d.events;
    body.conditions = conditions;
  }
  if (d.enabled !== before.enabled) body.enabled = d.enabled;
  if (d.retrySchedule.trim() !== before.retrySchedule) body.retry_schedule = d.retrySchedule.trim() || null;
  if (d.timeout.trim() !== before.timeout) body.timeout_ms = d.timeout.trim() ? timeoutOf(d.timeout) : null;
  if (d.filter.trim() !== before.filter) body.filter = d.filter.trim() || null;
  if (d.format !== before.format) body.format = d.format;
  return body;
}

interface Props {
  initial: WebhookDraft;
  busy: boolean;
  /** Field errors of the last save, by the server's field names. */
  errors: Record<string, string>;
  /** The last save's failure, as an alert. */
  failure: ReactNode;
  onSubmit: (draft: WebhookDraft) => void;
  /** Extra buttons after Save, e.g. Delete. */
  extraActions?: ReactNode;
}

/** The add and edit form: URL with its live check, events, conditions, advanced settings, enabled. */
export function WebhookForm({ initial, busy, errors: serverErrors, failure, onSubmit, extraActions }: Props) {
  const [draft, setDraft] = useState(initial);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const errors = { ...serverErrors, ...localErrors };
  const set = <K extends keyof WebhookDraft>(key: K, value: WebhookDraft[K]) =>
    setDraft((d) => ({ ...d, [key]: value }));
  const advancedError = errors['retry_schedule'] ?? errors['timeout_ms'];

  const setEvents = (events: EventTypeId[]) =>
    setDraft((d) => ({
      ...d,
      events,
      // Ticking Custom Conditions opens an empty condition to write.
      conditions: events.includes('custom_condition') && d.conditions.length === 0 ? [newCondition()] : d.conditions,
    }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const local: Record<string, string> = {};
    if (draft.timeout.trim() && !TIMEOUT.test(draft.timeout)) {
      local['timeout_ms'] = 'Enter a whole number of milliseconds, from 1000 to 30000.';
    }
    setLocalErrors(local);
    if (Object.keys(local).length === 0) onSubmit(draft);
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={busy}>
      <div className="panel">
        <UrlField
          id="webhook-url"
          label="Endpoint URL"
          hint="Paste the URL from your automation platform, such as a Zapier “Catch Hook” or a Make “Custom webhook”."
          value={draft.url}
          onChange={(v) => set('url', v)}
          error={errors['url']}
          placeholder="https://hooks.zapier.com/hooks/catch/…"
          required
        />
        <div className="field">
          <label htmlFor="webhook-description">Description</label>
          <input
            id="webhook-description"
            className="input input-wide"
            value={draft.description}
            maxLength={500}
            placeholder="Optional: what this webhook feeds, e.g. Leads to HubSpot"
            aria-invalid={errors['description'] ? true : undefined}
            aria-describedby={errors['description'] ? 'webhook-description-error' : undefined}
            onChange={(e) => set('description', e.target.value)}
          />
          {errors['description'] && (
            <p id="webhook-description-error" className="field-error">
              {errors['description']}
            </p>
          )}
        </div>
      </div>

      <div className="panel">
        <EventPicker value={draft.events} onChange={setEvents} error={errors['events']} />
        {wantsConditions(draft) && (
          <>
            <ConditionsEditor conditions={draft.conditions} onChange={(c) => set('conditions', c)} errors={errors} />
            <TryPrompt prompts={draft.conditions.map((c) => c.prompt)} />
          </>
        )}
      </div>

      <div className="panel">
        <div className="field">
          <label htmlFor="webhook-format">Format</label>
          <p id="webhook-format-hint" className="hint">
            What the endpoint expects. For Slack, Discord or Teams, paste the channel’s incoming webhook URL above.
          </p>
          <select
            id="webhook-format"
            className="input"
            value={draft.format}
            aria-describedby="webhook-format-hint"
            onChange={(e) => set('format', e.target.value as WebhookFormat)}
          >
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="webhook-filter">Filter (optional)</label>
          <p id="webhook-filter-hint" className="hint">
            Send only the events that meet a rule, such as{' '}
            <code>user.logged_in &amp;&amp; message.contains("refund")</code>. Other events are logged as skipped
            (filtered). The event catalogue lists the fields a rule can use.
          </p>
          <input
            id="webhook-filter"
            className="input input-wide mono"
            value={draft.filter}
            maxLength={1000}
            spellCheck={false}
            aria-invalid={errors['filter'] ? true : undefined}
            aria-describedby={errors['filter'] ? 'webhook-filter-hint webhook-filter-error' : 'webhook-filter-hint'}
            onChange={(e) => set('filter', e.target.value)}
          />
          {errors['filter'] && (
            <p id="webhook-filter-error" className="field-error">
              {errors['filter']}
            </p>
          )}
        </div>
      </div>

      <div className="panel">
        <div className="check-row">
          <input
            type="checkbox"
            id="webhook-enabled"
            checked={draft.enabled}
            onChange={(e) => set('enabled', e.target.checked)}
            aria-describedby="webhook-enabled-hint"
          />
          <label htmlFor="webhook-enabled">Enabled</label>
        </div>
        <p id="webhook-enabled-hint" className="hint">
          While a webhook is off, its events are logged as skipped and can be recovered later.
        </p>

        <details className="advanced" open={advancedError ? true : undefined}>
          <summary>Advanced settings</summary>
          <div className="field">
            <label htmlFor="webhook-retry">Retry schedule</label>
            <p id="webhook-retry-hint" className="hint">
              Delays between attempts, comma-separated, such as <code>5s, 5m, 30m, 2h</code> (up to 30, each from 1s to
              24h). Leave empty for the service’s default schedule.
            </p>
            <input
              id="webhook-retry"
              className="input input-wide mono"
              value={draft.retrySchedule}
              spellCheck={false}
              aria-invalid={errors['retry_schedule'] ? true : undefined}
              aria-describedby={
                errors['retry_schedule'] ? 'webhook-retry-hint webhook-retry-error' : 'webhook-retry-hint'
              }
              onChange={(e) => set('retrySchedule', e.target.value)}
            />
            {errors['retry_schedule'] && (
              <p id="webhook-retry-error" className="field-error">
                {errors['retry_schedule']}
              </p>
            )}
          </div>
          <div className="field">
            <label htmlFor="webhook-timeout">Timeout (milliseconds)</label>
            <p id="webhook-timeout-hint" className="hint">
              How long one attempt waits for an answer: 1000 to 30000. Leave empty for the service’s default.
            </p>
            <input
              id="webhook-timeout"
              className="input"
              inputMode="numeric"
              value={draft.timeout}
              aria-invalid={errors['timeout_ms'] ? true : undefined}
              aria-describedby={
                errors['timeout_ms'] ? 'webhook-timeout-hint webhook-timeout-error' : 'webhook-timeout-hint'
              }
              onChange={(e) => set('timeout', e.target.value)}
            />
            {errors['timeout_ms'] && (
              <p id="webhook-timeout-error" className="field-error">
                {errors['timeout_ms']}
              </p>
            )}
          </div>
        </details>
      </div>

      {failure}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy} aria-busy={busy}>
          Save webhook
        </button>
        {busy && <span role="status">Saving…</span>}
        {extraActions}
      </div>
    </form>
  );
}
