/**
 * Delivery activities: turn an event into delivery rows, and carry out one signed attempt at a time.
 * The workflow owns the waiting between attempts (durable timers); these activities own I/O and the delivery log.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Dispatcher } from 'undici';
import type { Db } from '../src/db/pool';
import type { SecretBox } from '../src/security/secret-box';
import type { ChatEvent } from '../src/domain/events';
import { buildPayload } from '../src/domain/payload';
import { withJitter, type AttemptResult, type PreparedDelivery } from '../src/domain/delivery';
import { ErrorType } from '../src/domain/errors';
import { findApp } from '../src/db/queries/apps';
import { listWebhooksForEvent } from '../src/db/queries/webhooks';
import { findDeliveryTarget, finishDeliveryWithoutAttempt, recordAttempt, upsertDeliveries } from '../src/db/queries/deliveries';
import { sendSignedRequest } from './send-signed-request';

export interface DeliveryActivityDeps {
  db: Db;
  secrets: SecretBox;
  http: { dispatcher: Dispatcher };
  delivery: { timeoutMs: number; retryScheduleMs: number[] };
  /** Source of randomness for retry jitter; tests pin it. */
  random?: () => number;
}

export function createDeliveryActivities(deps: DeliveryActivityDeps) {
  const random = deps.random ?? Math.random;

  return {
    /**
     * Finds the app's enabled webhooks for the event's type, builds the payload and records one pending delivery per
     * webhook. Safe to retry: a second run returns the deliveries the first one created.
     */
    async prepareDeliveries(input: { event: ChatEvent; workflowId: string }): Promise<PreparedDelivery[]> {
      const { event } = input;
      const app = await findApp(deps.db, event.appId);
      if (!app) return []; // The app was deleted after the event was accepted: nobody to deliver to.
      const webhooks = await listWebhooksForEvent(deps.db, event.appId, event.type);
      if (webhooks.length === 0) return [];
      const payload = JSON.stringify(buildPayload(event, app));
      const rows = await upsertDeliveries(deps.db, {
        appId: event.appId,
        eventId: event.eventId,
        eventType: event.type,
        conversationId: event.conversationId,
        workflowId: input.workflowId,
        payload,
        webhookIds: webhooks.map((w) => w.id),
      });
      return rows.map((r) => ({ deliveryId: r.id, webhookId: r.webhook_id, timeoutMs: deps.delivery.timeoutMs }));
    },

    /**
     * Makes attempt number `attempt` of a delivery and records it. Answers and network failures are values, never
     * exceptions: the result says whether the delivery is finished or when the next attempt is due.
     */
    async deliverWebhook(input: { deliveryId: string; attempt: number }): Promise<AttemptResult> {
      const target = await findDeliveryTarget(deps.db, input.deliveryId);
      if (!target) {
        throw ApplicationFailure.create({
          type: ErrorType.DeliveryNotFound,
          message: `delivery ${input.deliveryId} does not exist`,
          nonRetryable: true,
        });
      }
      const { delivery, webhook } = target;
      if (!webhook || !webhook.enabled) {
        const status = webhook ? 'skipped' : 'failed';
        const reason = webhook ? 'webhook disabled' : 'webhook deleted';
        await finishDeliveryWithoutAttempt(deps.db, delivery.id, status, reason);
        return { final: true, status, attempt: input.attempt - 1, statusCode: null, error: reason };
      }

      let secret: string;
      try {
        secret = deps.secrets.decrypt(webhook.secret_encrypted);
      } catch {
        await finishDeliveryWithoutAttempt(deps.db, delivery.id, 'failed', ErrorType.SecretUndecryptable);
        throw ApplicationFailure.create({
          type: ErrorType.SecretUndecryptable,
          message: `the signing secret of webhook ${delivery.webhook_id} cannot be decrypted with SECRETS_KEY`,
          nonRetryable: true,
        });
      }

      const sent = await sendSignedRequest({
        url: webhook.url,
        messageId: delivery.id,
        body: delivery.payload,
        secret,
        timeoutMs: deps.delivery.timeoutMs,
        dispatcher: deps.http.dispatcher,
      });

      const succeeded = sent.statusCode !== null && sent.statusCode >= 200 && sent.statusCode < 300;
      const schedule = deps.delivery.retryScheduleMs;
      const exhausted = input.attempt > schedule.length;
      const retryInMs = succeeded || exhausted ? null : withJitter(schedule[input.attempt - 1]!, random());
      const status = succeeded ? 'succeeded' : exhausted ? 'failed' : 'pending';
      const error = sent.errorClass
        ? `${sent.errorClass}: ${sent.errorMessage}`
        : succeeded
          ? null
          : `HTTP ${sent.statusCode}`;

      await recordAttempt(deps.db, {
        delivery_id: delivery.id,
        attempt: input.attempt,
        started_at: sent.startedAt,
        duration_ms: sent.durationMs,
        status_code: sent.statusCode,
        error_class: sent.errorClass ?? (succeeded ? null : 'http_status'),
        error_message: sent.errorMessage ?? (succeeded ? null : `HTTP ${sent.statusCode}`),
        response_headers: sent.headers,
        response_excerpt: sent.excerpt,
        next_attempt_at: retryInMs === null ? null : new Date(Date.now() + retryInMs),
        status,
      });

      if (retryInMs === null) {
        return { final: true, status: succeeded ? 'succeeded' : 'failed', attempt: input.attempt, statusCode: sent.statusCode, error };
      }
      return { final: false, attempt: input.attempt, statusCode: sent.statusCode, error, retryInMs };
    },
  };
}

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;
