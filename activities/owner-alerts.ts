/**
 * Owner alerts: when a webhook is disabled (its URL answered 410, or it kept failing), the app's alert_url hears of it.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Dispatcher } from 'undici';

import type { Db } from '../src/db/pool';
import { findApp } from '../src/db/queries/apps';
import { findWebhook } from '../src/db/queries/webhooks';
import { ErrorType } from '../src/domain/errors';
import { sendSignedRequest } from '../src/outbound/send-signed-request';
import { checkDestination, type DestinationPolicy, type Resolver } from '../src/security/destination';
import type { SecretBox } from '../src/security/secret-box';

export interface OwnerAlertDeps {
  db: Db;
  secrets: SecretBox;
  http: { dispatcher: Dispatcher };
  delivery: { timeoutMs: number };
  destination: DestinationPolicy & { resolver?: Resolver };
}

export function createOwnerAlertActivities(deps: OwnerAlertDeps) {
  return {
    /**
     * Tells the app's alert_url that a webhook was disabled: a signed "Webhook disabled" notification, signed with the
     * webhook's own secret (its owner has it), through the same destination checks as any delivery.
     */
    async notifyWebhookDisabled(input: {
      appId: string;
      webhookId: string;
      reason: string;
    }): Promise<'sent' | 'no_alert_url'> {
      const app = await findApp(deps.db, input.appId);
      const webhook = await findWebhook(deps.db, input.appId, input.webhookId);
      if (!app?.alert_url || !webhook) return 'no_alert_url';
      const destination = await checkDestination(app.alert_url, deps.destination, deps.destination.resolver);
      if (!destination.ok) {
        throw ApplicationFailure.create({
          type: ErrorType.BlockedDestination,
          message: `alert_url refused: ${destination.reason}`,
          nonRetryable: true,
        });
      }
      const disabledAt = webhook.disabled_at ?? new Date();
      const body = JSON.stringify({
        event: 'Webhook disabled',
        timestamp: disabledAt.toISOString(),
        app_id: app.id,
        app_name: app.name,
        webhook_id: webhook.id,
        webhook_url: webhook.url,
        reason: input.reason,
        failing_since: webhook.failing_since?.toISOString() ?? null,
      });
      const sent = await sendSignedRequest({
        url: app.alert_url,
        // Stable per disabling, so a retried notification can be deduplicated by its receiver.
        messageId: `alert_${webhook.id}_${disabledAt.getTime()}`,
        body,
        secrets: [deps.secrets.decrypt(webhook.secret_encrypted)],
        timeoutMs: deps.delivery.timeoutMs,
        dispatcher: deps.http.dispatcher,
      });
      if (sent.statusCode === null || sent.statusCode < 200 || sent.statusCode >= 300) {
        throw new Error(`alert_url answered ${sent.statusCode ?? sent.errorClass}`);
      }
      return 'sent';
    },
  };
}
