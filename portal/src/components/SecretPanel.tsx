import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';

import { calls } from '../api';
import { dateTime } from '../format';
import { ConfirmDialog } from './ConfirmDialog';
import { CopyButton } from './CopyButton';
import { ErrorAlert } from './ErrorAlert';

/**
 * The signing secret: hidden until asked for (GET …/secret, never cached beyond this panel), copy, and rotate with
 * the overlap explained: the old secret keeps verifying until the time the server answers.
 */
export function SecretPanel({ webhookId }: { webhookId: string }) {
  const client = useQueryClient();
  const [revealed, setRevealed] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const secret = useQuery({
    queryKey: ['secret', webhookId],
    queryFn: () => calls.revealSecret(webhookId),
    enabled: revealed,
    staleTime: 0,
    gcTime: 0,
  });
  const rotate = useMutation({
    mutationFn: () => calls.rotateSecret(webhookId),
    onSuccess: () => {
      setConfirming(false);
      setRevealed(true);
      void client.invalidateQueries({ queryKey: ['secret', webhookId] });
    },
  });
  const shown = revealed ? secret.data : undefined;
  const overlapUntil = rotate.data?.previous_secret_expires_at ?? shown?.previous_secret_expires_at ?? null;

  return (
    <section className="panel" aria-labelledby="secret-heading">
      <h2 id="secret-heading">Signing secret</h2>
      <p className="hint">
        Every delivery carries a Standard Webhooks signature made with this secret. Your receiver checks it to know the
        request came from us.
      </p>
      <p className="secret-row">
        <code className="secret" aria-label="Signing secret">
          {shown ? shown.secret : 'whsec_\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022'}
        </code>
      </p>
      {revealed && secret.isFetching && !shown && <p role="status">Loading the secret…</p>}
      {secret.error && <ErrorAlert error={secret.error} />}
      <div className="button-row">
        <button type="button" className="button" onClick={() => setRevealed((r) => !r)} aria-pressed={revealed}>
          {revealed ? 'Hide secret' : 'Reveal secret'}
        </button>
        {shown && <CopyButton text={shown.secret} label="Copy secret" />}
        <button type="button" className="button" onClick={() => setConfirming(true)}>
          Rotate secret
        </button>
      </div>
      <div role="status">
        {rotate.data && (
          <p className="alert alert-success">
            A new secret is in place. The old one keeps verifying until{' '}
            {dateTime(rotate.data.previous_secret_expires_at)}: switch your receiver to the new secret before then.
          </p>
        )}
        {!rotate.data && overlapUntil && (
          <p className="hint">The previous secret also signs deliveries until {dateTime(overlapUntil)}.</p>
        )}
      </div>
      <ConfirmDialog
        open={confirming}
        title="Rotate the signing secret?"
        confirmLabel="Rotate"
        busy={rotate.isPending}
        onConfirm={() => rotate.mutate()}
        onClose={() => setConfirming(false)}
      >
        <p>
          A new secret is made now. For an overlap of 24 hours, deliveries carry two signatures, one by the new secret
          and one by the old, so your receiver keeps verifying while you switch it to the new secret. After the overlap
          only the new secret works.
        </p>
        {rotate.error && <ErrorAlert error={rotate.error} />}
      </ConfirmDialog>
    </section>
  );
}
