/**
 * One REST Hook trigger per chat-webhooks event type. Subscribing makes a webhook for Zapier's target URL and that one
 * event (POST /v1/apps/:app_id/rest-hooks); unsubscribing deletes it; Zapier's 410 after the Zap is turned off deletes
 * it too. Samples for "Test trigger" and performList come from GET /v1/apps/:app_id/events/samples.
 */

/** The payload's fields (src/domain/event-catalogue.ts), as Zapier's field mapping shows them. */
const COMMON_FIELDS = [
  { key: 'event', label: 'Event', type: 'string' },
  { key: 'timestamp', label: 'Timestamp (ISO 8601, UTC)', type: 'datetime' },
  { key: 'app_name', label: 'App Name', type: 'string' },
  { key: 'user_email', label: 'User Email (null unless shared)', type: 'string' },
  { key: 'user_name', label: 'User Name (null unless shared)', type: 'string' },
  { key: 'last_message', label: 'Last Message', type: 'string' },
  { key: 'response', label: 'Response', type: 'string' },
  { key: 'event_id', label: 'Event ID', type: 'string' },
  { key: 'app_id', label: 'App ID', type: 'string' },
  { key: 'conversation_id', label: 'Conversation ID', type: 'string' },
];
const CONDITION_FIELDS = [
  { key: 'condition_id', label: 'Condition ID', type: 'string' },
  { key: 'condition', label: 'Condition Prompt', type: 'string' },
  { key: 'condition_reason', label: 'Why It Matched', type: 'string' },
];

const EVENT_TRIGGERS = [
  {
    key: 'message_sent',
    payloadEvent: 'Message sent',
    noun: 'Message',
    label: 'Message Sent',
    description: 'Triggers when a user sends a message to your AI app.',
  },
  {
    key: 'user_signup',
    payloadEvent: 'New user signup',
    noun: 'User',
    label: 'New User Signup',
    description: 'Triggers when a new user registers or starts using your app.',
  },
  {
    key: 'conversation_end',
    payloadEvent: 'Conversation end',
    noun: 'Conversation',
    label: 'Conversation End',
    description: 'Triggers when a conversation session ends.',
  },
  {
    key: 'custom_condition',
    payloadEvent: 'Custom condition',
    noun: 'Condition Match',
    label: 'Custom Condition',
    description: 'Triggers when a conversation meets a condition you describe in plain language.',
  },
];

/** Zapier deduplicates by `id`: an event, and for a condition match the condition, is one item. */
function withId(payload) {
  return { id: payload.condition_id ? `${payload.event_id}:${payload.condition_id}` : payload.event_id, ...payload };
}

function makeTrigger(t, baseUrl) {
  const isCondition = t.key === 'custom_condition';
  const inputFields = [
    ...(isCondition
      ? [
          {
            key: 'prompt',
            label: 'Condition',
            required: true,
            helpText: 'When to trigger, in plain language, such as "When a user asks about pricing or costs".',
          },
        ]
      : []),
    {
      key: 'filter',
      label: 'Filter (optional)',
      required: false,
      helpText: 'A CEL rule events must meet, such as user.logged_in && message.contains("refund").',
    },
  ];
  return {
    key: t.key,
    noun: t.noun,
    display: { label: t.label, description: t.description },
    operation: {
      type: 'hook',
      inputFields,
      async performSubscribe(z, bundle) {
        const body = {
          target_url: bundle.targetUrl,
          event: t.key,
          ...(isCondition ? { conditions: [{ prompt: bundle.inputData.prompt }] } : {}),
          ...(bundle.inputData.filter ? { filter: bundle.inputData.filter } : {}),
        };
        const response = await z.request({
          url: `${baseUrl()}/v1/apps/${encodeURIComponent(bundle.authData.app_id)}/rest-hooks`,
          method: 'POST',
          body,
        });
        // Zapier keeps this as bundle.subscribeData; its id is the webhook's.
        const { secret: _secret, ...webhook } = response.data;
        return webhook;
      },
      async performUnsubscribe(z, bundle) {
        const id = bundle.subscribeData && bundle.subscribeData.id;
        const response = await z.request({
          url: `${baseUrl()}/v1/apps/${encodeURIComponent(bundle.authData.app_id)}/webhooks/${encodeURIComponent(id)}`,
          method: 'DELETE',
          skipThrowForStatus: true,
        });
        // Already gone (deleted after a 410, or by hand): unsubscribed all the same.
        if (response.status !== 204 && response.status !== 404) response.throwForStatus();
        return { id, deleted: true };
      },
      perform(z, bundle) {
        return [withId(bundle.cleanedRequest)];
      },
      async performList(z, bundle) {
        const response = await z.request({
          url: `${baseUrl()}/v1/apps/${encodeURIComponent(bundle.authData.app_id)}/events/samples`,
          params: { type: t.key, limit: 3 },
        });
        return response.data.data.map(withId);
      },
      sample: withId({
        event: t.payloadEvent,
        timestamp: '2024-01-01T12:00:00.000Z',
        app_name: 'My App',
        user_email: 'user@example.com',
        user_name: 'John Doe',
        last_message: t.key === 'message_sent' || isCondition ? 'User message' : null,
        response: t.key === 'message_sent' || isCondition ? 'App response message' : null,
        event_id: `evt_example_${t.key}`,
        app_id: 'app_example',
        conversation_id: t.key === 'user_signup' ? null : 'conv_example',
        ...(isCondition
          ? {
              condition_id: 'cond_pricing',
              condition: 'When a user asks about pricing or costs',
              condition_reason: 'The user asks how much the premium plan costs.',
            }
          : {}),
      }),
      outputFields: [
        { key: 'id', label: 'ID', type: 'string' },
        ...COMMON_FIELDS,
        ...(isCondition ? CONDITION_FIELDS : []),
      ],
    },
  };
}

module.exports = { EVENT_TRIGGERS, makeTrigger, withId };
