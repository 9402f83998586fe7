import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link, useLocation } from 'wouter';

import { calls, errorCode, fieldErrors, type WebhookWithSecret } from '../api';
import { CopyButton } from '../components/CopyButton';
import { ErrorAlert } from '../components/ErrorAlert';
import { Page } from '../components/Page';
import { createBody, EMPTY_DRAFT, WebhookForm } from '../components/WebhookForm';
import { useCanManage } from '../session-context';

/** The signing secret, right after creating: the one moment to copy it without another click. */
function CreatedPanel({ webhook }: { webhook: WebhookWithSecret }) {
  const [, navigate] = useLocation();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="panel panel-success" aria-labelledby="created-heading">
      <h2 id="created-heading" ref={heading} tabIndex={-1}>
        Webhook created
      </h2>
      <p>
        Deliveries to <strong className="break">{webhook.url}</strong> are signed with this secret. Copy it into your
        receiver to verify signatures; you can reveal it again later on the webhook’s page.
      </p>
      <p className="secret-row">
        <code className="secret" aria-label="Signing secret">
          {webhook.secret}
        </code>
        <CopyButton text={webhook.secret} label="Copy secret" />
      </p>
      {webhook.warnings?.map((w) => (
        <p key={w} className="alert alert-warn">
          {w}
        </p>
      ))}
      <button type="button" className="button button-primary" onClick={() => navigate(`/webhooks/${webhook.id}`)}>
        Go to the webhook
      </button>
    </section>
  );
}

export function NewWebhookPage() {
  const canManage = useCanManage();
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: calls.createWebhook,
    onSuccess: () => client.invalidateQueries({ queryKey: ['webhooks'] }),
  });
  if (!canManage) {
    return (
      <Page title="Add webhook">
        <p className="alert alert-info">This link is read-only: it cannot add webhooks.</p>
        <Link to="/">Back to the webhooks</Link>
      </Page>
    );
  }
  const errors = fieldErrors(create.error);
  if (errorCode(create.error) === 'invalid_url' && !errors['url']) errors['url'] = 'This URL cannot be used.';
  return (
    <Page title="Add webhook" lead="Send your app’s chat events to Zapier, Make.com, a CRM or your own endpoint.">
      {create.data ? (
        <CreatedPanel webhook={create.data} />
      ) : (
        <WebhookForm
          initial={EMPTY_DRAFT}
          busy={create.isPending}
          errors={errors}
          failure={create.error ? <ErrorAlert error={create.error} title="The webhook was not saved." /> : null}
          onSubmit={(draft) => create.mutate(createBody(draft))}
          extraActions={
            <Link to="/" className="button">
              Cancel
            </Link>
          }
        />
      )}
    </Page>
  );
}
