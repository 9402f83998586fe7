import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useLocation } from 'wouter';

import { calls, errorCode, fieldErrors, queries } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorAlert } from '../components/ErrorAlert';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { draftOf, updateBody, WebhookForm } from '../components/WebhookForm';
import { useCanManage } from '../session-context';

export function EditWebhookPage({ params }: { params: { id: string } }) {
  const id = params.id;
  const canManage = useCanManage();
  const client = useQueryClient();
  const [, navigate] = useLocation();
  const webhook = useQuery(queries.webhook(id));
  const initial = useMemo(() => (webhook.data ? draftOf(webhook.data) : null), [webhook.data]);
  const [confirming, setConfirming] = useState(false);

  const save = useMutation({
    mutationFn: (body: Parameters<typeof calls.updateWebhook>[1]) => calls.updateWebhook(id, body),
    onSuccess: (updated) => {
      client.setQueryData(queries.webhook(id).queryKey, updated);
      void client.invalidateQueries({ queryKey: ['webhooks'] });
      navigate(`/webhooks/${id}`);
    },
  });
  const remove = useMutation({
    mutationFn: () => calls.deleteWebhook(id),
    onSuccess: () => {
      client.removeQueries({ queryKey: ['webhook', id] });
      void client.invalidateQueries({ queryKey: ['webhooks'] });
      navigate('/');
    },
  });

  if (!canManage) {
    return (
      <Page title="Edit webhook">
        <p className="alert alert-info">This link is read-only: it cannot change webhooks.</p>
        <Link to={`/webhooks/${id}`}>Back to the webhook</Link>
      </Page>
    );
  }
  if (webhook.error) {
    return (
      <Page title="Edit webhook">
        <ErrorAlert error={webhook.error} />
        <Link to="/">Back to the webhooks</Link>
      </Page>
    );
  }
  if (!initial) {
    return (
      <Page title="Edit webhook">
        <Loading />
      </Page>
    );
  }

  const errors = fieldErrors(save.error);
  if (errorCode(save.error) === 'invalid_url' && !errors['url']) errors['url'] = 'This URL cannot be used.';
  return (
    <Page title="Edit webhook" lead={<span className="break">{initial.url}</span>}>
      <WebhookForm
        initial={initial}
        busy={save.isPending}
        errors={errors}
        failure={save.error ? <ErrorAlert error={save.error} title="The changes were not saved." /> : null}
        onSubmit={(draft) => {
          const body = updateBody(draft, initial);
          if (Object.keys(body).length === 0) navigate(`/webhooks/${id}`);
          else save.mutate(body);
        }}
        extraActions={
          <>
            <Link to={`/webhooks/${id}`} className="button">
              Cancel
            </Link>
            <button type="button" className="button button-danger push-right" onClick={() => setConfirming(true)}>
              Delete webhook
            </button>
          </>
        }
      />
      <ConfirmDialog
        open={confirming}
        title="Delete this webhook?"
        confirmLabel="Delete"
        danger
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onClose={() => setConfirming(false)}
      >
        <p>
          Deliveries to <strong className="break">{initial.url}</strong> stop at once, and waiting retries end. Its
          deliveries stay in the delivery log.
        </p>
        {remove.error && <ErrorAlert error={remove.error} />}
      </ConfirmDialog>
    </Page>
  );
}
