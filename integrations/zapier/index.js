/**
 * chat-webhooks on Zapier: API-key authentication with an app key, and one REST Hook trigger per event type.
 * A platform that runs chat-webhooks publishes this under its own name (README, "Integrations"): it sets BASE_URL
 * with `zapier env:set` and its own title and description here.
 */
const { version: platformVersion } = require('zapier-platform-core');

const { version } = require('./package.json');
const { EVENT_TRIGGERS, makeTrigger } = require('./triggers');

/** Where the service is: the publishing platform's public API URL, set per integration version. */
const baseUrl = () => (process.env.BASE_URL || 'https://chat-webhooks.example.com').replace(/\/+$/, '');

const authentication = {
  type: 'custom',
  fields: [
    {
      key: 'app_id',
      label: 'App ID',
      required: true,
      helpText: 'Your app\u2019s id (app_\u2026), shown in the app settings.',
    },
    {
      key: 'api_key',
      label: 'App API Key',
      required: true,
      type: 'password',
      helpText: 'The app\u2019s API key (cwk_\u2026): it reaches this app only.',
    },
  ],
  // The connection test: the app answers only to its own key.
  test: {
    url: '{{process.env.BASE_URL}}/v1/apps/{{bundle.authData.app_id}}',
    method: 'GET',
  },
  connectionLabel: '{{json.name}}',
};

/** Every request carries the app key as a bearer token. */
function addApiKey(request, z, bundle) {
  if (bundle.authData && bundle.authData.api_key) {
    request.headers = { ...request.headers, Authorization: `Bearer ${bundle.authData.api_key}` };
  }
  return request;
}

/** The service's errors are `{ error: { code, message } }`: Zapier shows the message. */
function explainErrors(response, z) {
  // A request that checks its own status (unsubscribing what may be gone already) gets the answer as it is.
  if (response.request && response.request.skipThrowForStatus) return response;
  if (response.status >= 400) {
    let message = `HTTP ${response.status}`;
    try {
      const body = JSON.parse(response.content);
      if (body && body.error && body.error.message) message = `${body.error.message} (${body.error.code})`;
    } catch {
      // Not JSON: the status says enough.
    }
    if (response.status === 401) throw new z.errors.RefreshAuthError(message);
    throw new z.errors.Error(message, 'ApiError', response.status);
  }
  return response;
}

const triggers = Object.fromEntries(EVENT_TRIGGERS.map((t) => [t.key, makeTrigger(t, baseUrl)]));

module.exports = {
  version,
  platformVersion,
  authentication,
  beforeRequest: [addApiKey],
  afterResponse: [explainErrors],
  triggers,
};
