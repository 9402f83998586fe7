import { useQuery } from '@tanstack/react-query';

import { queries } from '../api';

export type Fire = 'once_per_conversation' | 'every_match';

export interface ConditionDraft {
  /** React's key for the row; not sent. */
  key: string;
  /** Kept from the server, so that an edit keeps each condition's "once per conversation" history. */
  id?: string;
  prompt: string;
  fire: Fire;
  /** A CEL expression; "" for none. */
  prefilter: string;
}

let nextKey = 0;
export function newCondition(
  prompt = '',
  fire: Fire = 'once_per_conversation',
  id?: string,
  prefilter = '',
): ConditionDraft {
  nextKey += 1;
  return { key: `c${nextKey}`, prompt, fire, prefilter, ...(id ? { id } : {}) };
}

interface Props {
  conditions: ConditionDraft[];
  onChange: (conditions: ConditionDraft[]) => void;
  /** Field errors of the last save, by field path (`conditions`, `conditions.0.prompt`, …). */
  errors: Record<string, string>;
}

/** The natural-language conditions of a Custom Conditions webhook. */
export function ConditionsEditor({ conditions, onChange, errors }: Props) {
  // The product documentation's example prompts, one click each.
  const examples = useQuery(queries.examplePrompts());
  const update = (key: string, change: Partial<ConditionDraft>) =>
    onChange(conditions.map((c) => (c.key === key ? { ...c, ...change } : c)));
  const remove = (key: string) => onChange(conditions.filter((c) => c.key !== key));
  const addExample = (prompt: string) => {
    const empty = conditions.find((c) => c.prompt.trim() === '');
    onChange(
      empty ? conditions.map((c) => (c === empty ? { ...c, prompt } : c)) : [...conditions, newCondition(prompt)],
    );
  };
  const listError = errors['conditions'];
  return (
    <fieldset className="fieldset" aria-describedby="conditions-hint">
      <legend>Custom conditions</legend>
      <p id="conditions-hint" className="hint">
        Write when to fire the webhook, in plain language. Each conversation is checked against these conditions after
        every message.
      </p>
      <div className="chips" role="group" aria-label="Example prompts">
        <span className="chips-label" aria-hidden="true">
          Examples:
        </span>
        {examples.data?.map((prompt) => (
          <button
            type="button"
            key={prompt}
            className="chip"
            onClick={() => addExample(prompt)}
            disabled={conditions.some((c) => c.prompt === prompt)}
          >
            {prompt}
          </button>
        ))}
      </div>
      <ol className="conditions">
        {conditions.map((c, index) => {
          const n = index + 1;
          const promptError = errors[`conditions.${index}.prompt`] ?? errors[`conditions.${index}`];
          return (
            <li key={c.key} className="condition">
              <div className="field">
                <label htmlFor={`condition-${c.key}`}>Condition {n}</label>
                <textarea
                  id={`condition-${c.key}`}
                  className="input input-wide"
                  rows={2}
                  maxLength={1000}
                  value={c.prompt}
                  placeholder="When a user asks about pricing or costs"
                  aria-invalid={promptError ? true : undefined}
                  aria-describedby={promptError ? `condition-${c.key}-error` : undefined}
                  onChange={(e) => update(c.key, { prompt: e.target.value })}
                />
                {promptError && (
                  <p id={`condition-${c.key}-error`} className="field-error">
                    {promptError}
                  </p>
                )}
              </div>
              <div className="field">
                <label htmlFor={`prefilter-${c.key}`}>Condition {n} prefilter (optional)</label>
                <p id={`prefilter-${c.key}-hint`} className="hint">
                  A rule checked before the AI is asked, such as <code>message.contains("price")</code>: when it is
                  false, the message is not sent to the AI for this condition.
                </p>
                <input
                  id={`prefilter-${c.key}`}
                  className="input input-wide mono"
                  value={c.prefilter}
                  maxLength={1000}
                  spellCheck={false}
                  aria-invalid={errors[`conditions.${index}.prefilter`] ? true : undefined}
                  aria-describedby={
                    errors[`conditions.${index}.prefilter`]
                      ? `prefilter-${c.key}-hint prefilter-${c.key}-error`
                      : `prefilter-${c.key}-hint`
                  }
                  onChange={(e) => update(c.key, { prefilter: e.target.value })}
                />
                {errors[`conditions.${index}.prefilter`] && (
                  <p id={`prefilter-${c.key}-error`} className="field-error">
                    {errors[`conditions.${index}.prefilter`]}
                  </p>
                )}
              </div>
              <fieldset className="radios">
                <legend className="visually-hidden">Condition {n} fires</legend>
                <label>
                  <input
                    type="radio"
                    name={`fire-${c.key}`}
                    checked={c.fire === 'once_per_conversation'}
                    onChange={() => update(c.key, { fire: 'once_per_conversation' })}
                  />{' '}
                  Once per conversation
                </label>
                <label>
                  <input
                    type="radio"
                    name={`fire-${c.key}`}
                    checked={c.fire === 'every_match'}
                    onChange={() => update(c.key, { fire: 'every_match' })}
                  />{' '}
                  Every match
                </label>
              </fieldset>
              <button type="button" className="button button-small" onClick={() => remove(c.key)}>
                Remove condition {n}
              </button>
            </li>
          );
        })}
      </ol>
      <button type="button" className="button" onClick={() => onChange([...conditions, newCondition()])}>
        Add condition
      </button>
      {listError && <p className="field-error">{listError}</p>}
    </fieldset>
  );
}
