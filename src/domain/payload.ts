/**
 * The JSON body receivers get. Pure code: workflows import it.
 *
 * Every key is always present, in a fixed order, so that receivers (Zapier field mapping, spreadsheets) see a stable
 * shape. A value the event does not have, or that privacy settings withhold, is null.
 */
import { type ChatEvent, EVENT_LABELS } from './events';

export interface PrivacySettings {
  share_user_email: boolean;
  share_user_name: boolean;
  share_messages: boolean;
}

export const DEFAULT_PRIVACY: PrivacySettings = { share_user_email: true, share_user_name: true, share_messages: true };

export interface WebhookPayload {
  event: string;
  timestamp: string;
  app_name: string;
  user_email: string | null;
  user_name: string | null;
  last_message: string | null;
  response: string | null;
  event_id: string;
  app_id: string;
  conversation_id: string | null;
  /** Custom-condition deliveries only: which condition matched, its prompt, and the judge's one-sentence reason. */
  condition_id?: string;
  condition?: string;
  condition_reason?: string;
  /** Test sends only. */
  test?: true;
}

export interface PayloadExtras {
  condition?: { id: string; prompt: string; reason: string };
  test?: boolean;
}

export function buildPayload(
  event: ChatEvent,
  app: { name: string; privacy: PrivacySettings },
  extras: PayloadExtras = {},
): WebhookPayload {
  // User data is only for logged-in users: an anonymous visitor's self-reported name is not an identity.
  const user = event.user?.loggedIn ? event.user : null;
  return {
    event: EVENT_LABELS[extras.condition ? 'custom_condition' : event.type],
    timestamp: new Date(event.occurredAt).toISOString(),
    app_name: app.name,
    user_email: app.privacy.share_user_email ? (user?.email ?? null) : null,
    user_name: app.privacy.share_user_name ? (user?.name ?? null) : null,
    last_message: app.privacy.share_messages ? event.message : null,
    response: app.privacy.share_messages ? event.response : null,
    event_id: event.eventId,
    app_id: event.appId,
    conversation_id: event.conversationId,
    ...(extras.condition
      ? {
          condition_id: extras.condition.id,
          condition: extras.condition.prompt,
          condition_reason: extras.condition.reason,
        }
      : {}),
    ...(extras.test ? { test: true as const } : {}),
  };
}
