import { useQuery } from '@tanstack/react-query';

import { type EventTypeId, queries } from '../api';
import { ErrorAlert } from './ErrorAlert';
import { Loading } from './Loading';

interface Props {
  value: EventTypeId[];
  onChange: (events: EventTypeId[]) => void;
  error?: string | undefined;
}

/** The event checkboxes, named and described as the product's settings page does (from GET /v1/event-types). */
export function EventPicker({ value, onChange, error }: Props) {
  const types = useQuery(queries.eventTypes());
  const toggle = (type: EventTypeId, on: boolean) => onChange(on ? [...value, type] : value.filter((t) => t !== type));
  return (
    <fieldset className="fieldset" aria-describedby={error ? 'events-error' : undefined}>
      <legend>Events</legend>
      <p className="hint">Choose when to send webhook notifications.</p>
      {types.isPending && <Loading what="Loading event types…" />}
      {types.error && <ErrorAlert error={types.error} title="The event types could not be loaded." />}
      <div className="event-options">
        {types.data?.map((t) => (
          <div className="check-card" key={t.type}>
            <input
              type="checkbox"
              id={`event-${t.type}`}
              checked={value.includes(t.type)}
              onChange={(e) => toggle(t.type, e.target.checked)}
              aria-describedby={`event-${t.type}-description`}
            />
            <div>
              <label htmlFor={`event-${t.type}`}>{t.name}</label>
              <p id={`event-${t.type}-description`} className="hint">
                {t.description}
              </p>
            </div>
          </div>
        ))}
      </div>
      {error && (
        <p id="events-error" className="field-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}
