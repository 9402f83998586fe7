import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';

import { calls, errorMessage } from '../api';
import { parseTranscript } from '../transcript';

const EXAMPLE_TRANSCRIPT = 'user: Hi! How much is the pro plan?\nassistant: The pro plan is $20 per month.';

/**
 * "Try this prompt": judges one of the conditions against a conversation the owner types, with the service's own
 * judge. Nothing is stored and nothing fires.
 */
export function TryPrompt({ prompts }: { prompts: string[] }) {
  const usable = prompts.map((p) => p.trim()).filter((p) => p !== '');
  const [chosen, setChosen] = useState(0);
  const [transcript, setTranscript] = useState(EXAMPLE_TRANSCRIPT);
  const [inputError, setInputError] = useState<string | null>(null);
  const attempt = useMutation({ mutationFn: calls.tryCondition });
  const prompt = usable[Math.min(chosen, usable.length - 1)];

  const run = () => {
    const parsed = parseTranscript(transcript);
    if (!parsed.ok) {
      setInputError(parsed.message);
      return;
    }
    setInputError(null);
    if (prompt) attempt.mutate({ prompt, transcript: parsed.turns });
  };

  return (
    <section className="try" aria-labelledby="try-heading">
      <h2 id="try-heading">Try a prompt</h2>
      {usable.length === 0 ? (
        <p className="hint">Write a condition above to try it on a conversation.</p>
      ) : (
        <>
          {usable.length > 1 ? (
            <div className="field">
              <label htmlFor="try-prompt">Prompt to try</label>
              <select
                id="try-prompt"
                className="input input-wide"
                value={Math.min(chosen, usable.length - 1)}
                onChange={(e) => setChosen(Number(e.target.value))}
              >
                {usable.map((p, i) => (
                  <option key={`${i}-${p}`} value={i}>
                    {p}
                  </option>
                ))}
              </select>
            </div>
          ) : (
            <p>
              Prompt: <q>{prompt}</q>
            </p>
          )}
          <div className="field">
            <label htmlFor="try-transcript">Conversation to try it on</label>
            <p id="try-transcript-hint" className="hint">
              One turn per line, starting with <code>user:</code> or <code>assistant:</code>.
            </p>
            <textarea
              id="try-transcript"
              className="input input-wide mono"
              rows={4}
              value={transcript}
              aria-describedby={inputError ? 'try-transcript-hint try-transcript-error' : 'try-transcript-hint'}
              aria-invalid={inputError ? true : undefined}
              onChange={(e) => setTranscript(e.target.value)}
            />
            {inputError && (
              <p id="try-transcript-error" className="field-error">
                {inputError}
              </p>
            )}
          </div>
          <button
            type="button"
            className="button"
            onClick={run}
            disabled={attempt.isPending}
            aria-busy={attempt.isPending}
          >
            Try this prompt
          </button>
          <div aria-live="polite" className="try-result">
            {attempt.isPending && <p>Asking the judge…</p>}
            {attempt.data && !attempt.isPending && (
              <p className={attempt.data.matched ? 'verdict verdict-yes' : 'verdict verdict-no'}>
                <strong>{attempt.data.matched ? 'Matched' : 'Did not match'}</strong>: {attempt.data.reason}{' '}
                {attempt.data.model && <span className="muted">({attempt.data.model})</span>}
              </p>
            )}
          </div>
          {attempt.error && !attempt.isPending && (
            <div className="alert alert-error" role="alert">
              {errorMessage(attempt.error)}
            </div>
          )}
        </>
      )}
    </section>
  );
}
