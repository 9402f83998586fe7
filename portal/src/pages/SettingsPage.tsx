import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';

import { type App, calls, errorCode, fieldErrors, queries } from '../api';
import { ErrorAlert } from '../components/ErrorAlert';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { UrlField } from '../components/UrlField';
import { dateTime } from '../format';
import { useCanManage, useSession } from '../session-context';

type Privacy = App['privacy'];

const PRIVACY: Array<{ key: keyof Privacy; label: string; hint: string }> = [
  {
    key: 'share_user_email',
    label: 'Share user email',
    hint: 'Send user_email for logged-in users. Off: it is always null.',
  },
  {
    key: 'share_user_name',
    label: 'Share user name',
    hint: 'Send user_name for logged-in users. Off: it is always null.',
  },
  {
    key: 'share_messages',
    label: 'Share messages',
    hint: 'Send last_message and response. Off: both are always null (custom conditions still read the conversation).',
  },
];

function SettingsForm({ app }: { app: App }) {
  const client = useQueryClient();
  const canManage = useCanManage();
  const [privacy, setPrivacy] = useState<Privacy>(app.privacy);
  const [alertUrl, setAlertUrl] = useState(app.alert_url ?? '');
  const save = useMutation({
    mutationFn: () => calls.updateApp({ privacy, alert_url: alertUrl.trim() || null }),
    onSuccess: (updated) => client.setQueryData(queries.app().queryKey, updated),
  });
  const errors = fieldErrors(save.error);
  if (errorCode(save.error) === 'invalid_url' && !errors['alert_url']) errors['alert_url'] = 'This URL cannot be used.';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={save.isPending}>
      <fieldset className="panel fieldset">
        <legend>Privacy</legend>
        <p className="hint">What every webhook of this app receives about your users.</p>
        {PRIVACY.map((p) => (
          <div key={p.key} className="check-card">
            <input
              type="checkbox"
              id={p.key}
              checked={privacy[p.key]}
              disabled={!canManage}
              aria-describedby={`${p.key}-hint`}
              onChange={(e) => setPrivacy((v) => ({ ...v, [p.key]: e.target.checked }))}
            />
            <div>
              <label htmlFor={p.key}>{p.label}</label>
              <p id={`${p.key}-hint`} className="hint">
                {p.hint}
              </p>
            </div>
          </div>
        ))}
      </fieldset>
      <div className="panel">
        <h2>Alerts</h2>
        {canManage ? (
          <UrlField
            id="alert-url"
            label="Alert URL"
            hint="Receives a signed “Webhook disabled” notification whenever the service turns one of your webhooks off. Leave empty for none."
            value={alertUrl}
            onChange={setAlertUrl}
            error={errors['alert_url']}
            placeholder="https://alerts.example.com/webhooks"
          />
        ) : (
          <dl className="details">
            <dt>Alert URL</dt>
            <dd className="break mono">{app.alert_url ?? 'None'}</dd>
          </dl>
        )}
      </div>
      {save.error && <ErrorAlert error={save.error} title="The settings were not saved." />}
      {canManage && (
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={save.isPending} aria-busy={save.isPending}>
            Save settings
          </button>
          <span role="status">{save.isSuccess && !save.isPending ? 'Settings saved.' : ''}</span>
        </div>
      )}
    </form>
  );
}

export function SettingsPage() {
  const app = useQuery(queries.app());
  const session = useSession();
  return (
    <Page title="Settings" lead={app.data ? `App ${app.data.name}` : undefined}>
      {app.isPending && <Loading />}
      {app.error && <ErrorAlert error={app.error} />}
      {app.data && <SettingsForm app={app.data} />}
      <section className="panel form" aria-labelledby="session-heading">
        <h2 id="session-heading">This portal link</h2>
        <dl className="details">
          <dt>Access</dt>
          <dd>{session.capability === 'manage' ? 'Manage: can change settings' : 'Read-only: can look, not change'}</dd>
          <dt>Works until</dt>
          <dd>{session.expiresAt ? dateTime(session.expiresAt.toISOString()) : '—'}</dd>
          <dt>Session id</dt>
          <dd className="mono">{session.sessionId}</dd>
          <dt>App id</dt>
          <dd className="mono">{session.appId}</dd>
        </dl>
      </section>
    </Page>
  );
}
