/**
 * The event types as app owners meet them: the names and one-line descriptions of the product's settings page, the
 * payload fields each one carries, and an example built by the real payload builder. The portal's checkboxes and its
 * event catalogue read this through GET /v1/apps/{app_id}/event-types; test sends use the same sample event.
 */
import { type ChatEvent, type ChatEventType, type WebhookEventType } from './events';
import { buildPayload, type PrivacySettings, type WebhookPayload } from './payload';

export interface PayloadField {
  name: keyof WebhookPayload;
  type: 'string' | 'boolean';
  nullable: boolean;
  description: string;
}

export interface EventTypeEntry {
  type: WebhookEventType;
  /** As the settings page names it. */
  name: string;
  /** When it fires, in the settings page's words. */
  description: string;
  fields: PayloadField[];
}

/** A made-up event of this type, with the product documentation's sample values. */
export function sampleChatEvent(
  type: ChatEventType,
  ids: { appId: string; eventId: string; occurredAt: string },
): ChatEvent {
  return {
    appId: ids.appId,
    eventId: ids.eventId,
    type,
    occurredAt: ids.occurredAt,
    conversationId: type === 'user_signup' ? null : 'conv_test',
    user: { id: 'user_test', email: 'user@example.com', name: 'John Doe', loggedIn: true },
    message: type === 'message_sent' ? 'User message' : null,
    response: type === 'message_sent' ? 'App response message' : null,
  };
}

const userField = (name: 'user_email' | 'user_name', what: string): PayloadField => ({
  name,
  type: 'string',
  nullable: true,
  description: `The user\u2019s ${what}; null unless the user is logged in and the app\u2019s privacy settings share it.`,
});

function fieldsOf(type: WebhookEventType): PayloadField[] {
  const isMessage = type === 'message_sent' || type === 'custom_condition';
  const messageField = (name: 'last_message' | 'response', what: string): PayloadField => ({
    name,
    type: 'string',
    nullable: true,
    description: isMessage
      ? `${what}; null when the backend did not send it or the privacy settings withhold messages.`
      : 'Always null for this event.',
  });
  return [
    { name: 'event', type: 'string', nullable: false, description: 'The event\u2019s name, e.g. "Message sent".' },
    { name: 'timestamp', type: 'string', nullable: false, description: 'When the event occurred, ISO 8601 in UTC.' },
    { name: 'app_name', type: 'string', nullable: false, description: 'The name of the app.' },
    userField('user_email', 'email address'),
    userField('user_name', 'display name'),
    messageField('last_message', 'The message the user sent'),
    messageField('response', 'The app\u2019s response to it'),
    { name: 'event_id', type: 'string', nullable: false, description: 'The event\u2019s id, the same on every retry.' },
    { name: 'app_id', type: 'string', nullable: false, description: 'The app\u2019s id.' },
    {
      name: 'conversation_id',
      type: 'string',
      nullable: type === 'user_signup',
      description:
        type === 'user_signup'
          ? 'The conversation the signup happened in, if any. Use it for idempotency.'
          : 'The conversation. Use it for idempotency.',
    },
    ...(type === 'custom_condition'
      ? ([
          {
            name: 'condition_id',
            type: 'string',
            nullable: false,
            description: 'The id of the condition that matched.',
          },
          {
            name: 'condition',
            type: 'string',
            nullable: false,
            description: 'Its prompt, as written in the settings.',
          },
          {
            name: 'condition_reason',
            type: 'string',
            nullable: false,
            description: 'Why the judge found that the conversation matches, in one sentence.',
          },
        ] satisfies PayloadField[])
      : []),
    {
      name: 'test',
      type: 'boolean',
      nullable: false,
      description: 'Present, and true, only on test sends ("Send test"); absent on real events.',
    },
  ];
}

const ENTRIES: Array<Omit<EventTypeEntry, 'fields'>> = [
  { type: 'message_sent', name: 'Message Sent', description: 'Triggers when a user sends a message to your AI app' },
  {
    type: 'user_signup',
    name: 'New User Signup',
    description: 'Triggers when a new user registers or starts using your app',
  },
  {
    type: 'custom_condition',
    name: 'Custom Conditions',
    description: 'Define custom logic using natural language prompts',
  },
  { type: 'conversation_end', name: 'Conversation End', description: 'Triggers when a conversation session ends' },
];

export const EVENT_CATALOGUE: readonly EventTypeEntry[] = ENTRIES.map((e) => ({ ...e, fields: fieldsOf(e.type) }));

/** The seed's example prompts for custom conditions, one click away in the portal. */
export const EXAMPLE_CONDITION_PROMPTS = [
  'When a user asks about pricing or costs',
  'If the user expresses frustration or dissatisfaction',
  'When the user provides their email address',
  'If the conversation mentions a competitor',
] as const;

/** What a receiver of this event type would get from this app now, with its privacy settings applied. */
export function examplePayload(
  type: WebhookEventType,
  app: { id: string; name: string; privacy: PrivacySettings },
  occurredAt: string,
): WebhookPayload {
  const chatType: ChatEventType = type === 'custom_condition' ? 'message_sent' : type;
  const event = sampleChatEvent(chatType, { appId: app.id, eventId: `evt_example_${chatType}`, occurredAt });
  return buildPayload(
    event,
    app,
    type === 'custom_condition'
      ? {
          condition: {
            id: 'cond_pricing',
            prompt: EXAMPLE_CONDITION_PROMPTS[0],
            reason: 'The user asks how much the premium plan costs.',
          },
        }
      : {},
  );
}
