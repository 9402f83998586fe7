import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

import { calls, errorMessage } from '../api';

interface Props {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** The server's word on this field after a save. */
  error?: string | undefined;
  required?: boolean;
  hint?: string;
  placeholder?: string;
}

/** Waits until typing pauses, so the server is asked about a URL, not about every keystroke. */
function useDebounced(value: string, ms: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * A destination URL, checked by the server as it is typed (POST url-checks: private addresses, http, …), with the
 * verdict read out politely.
 */
export function UrlField({ id, label, value, onChange, error, required, hint, placeholder }: Props) {
  const url = useDebounced(value.trim(), 300);
  const check = useQuery({
    queryKey: ['url-check', url],
    queryFn: ({ signal }) => calls.checkUrl(url, signal),
    enabled: url !== '',
    staleTime: 60_000,
    retry: false,
  });
  const settled = url === value.trim();
  let verdict: { text: string; tone: 'ok' | 'warn' | 'bad' } | null = null;
  if (url !== '' && settled && check.data) {
    if (!check.data.allowed) verdict = { text: check.data.reason ?? 'This URL cannot be used.', tone: 'bad' };
    else if (check.data.warning) verdict = { text: `\u2713 URL looks good. ${check.data.warning}`, tone: 'warn' };
    else verdict = { text: '\u2713 URL looks good', tone: 'ok' };
  } else if (url !== '' && settled && check.error) {
    verdict = { text: errorMessage(check.error), tone: 'bad' };
  }
  const describedBy = [hint && `${id}-hint`, `${id}-check`, error && `${id}-error`].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
      <input
        id={id}
        type="url"
        inputMode="url"
        autoComplete="url"
        spellCheck={false}
        className="input input-wide"
        value={value}
        required={required}
        placeholder={placeholder}
        aria-invalid={error || verdict?.tone === 'bad' ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
      />
      <p id={`${id}-check`} className={`url-check url-check-${verdict?.tone ?? 'none'}`} aria-live="polite">
        {verdict?.text ?? (url !== '' && (check.isFetching || !settled) ? 'Checking\u2026' : '')}
      </p>
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
