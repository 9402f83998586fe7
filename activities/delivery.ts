/**
 * Delivery activities: turn an event into delivery rows, and carry out one signed attempt at a time.
 * The workflow owns the waiting between attempts (durable timers); these activities own I/O and the delivery log.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Dispatcher } from 'undici';
import type { Db } from '../src/db/pool';
import type { SecretBox } from '../src/security/secret-box';
import { checkDestination, type DestinationPolicy, type Resolver } from '../src/security/destination';
import type { ChatEvent } from '../src/domain/events';
import { buildPayload, type PayloadExtras } from '../src/domain/payload';
import { withJitter, type AttemptResult, type PreparedDelivery } from '../src/domain/delivery';
import type { ConditionMatch } from '../src/domain/conditions';
import { claimConversationEnd, claimFiring } from '../src/db/queries/conditions';
import { ErrorType } from '../src/domain/errors';
import { findApp } from '../src/db/queries/apps';
import { findWebhook, listWebhooksForEvent, type WebhookRow } from '../src/db/queries/webhooks';
import { findDeliveryTarget, finishDeliveryWithoutAttempt, recordAttempt, upsertDeliveries } from '../src/db/queries/deliveries';
import { sendSignedRequest, type SendOutcome } from './send-signed-request';

export interface DeliveryActivityDeps {
  db: Db;
  secrets: SecretBox;
  /** The dispatcher must connect through the destination policy's guarded lookup (see createDeliveryAgent). */
  http: { dispatcher: Dispatcher };
  delivery: { timeoutMs: number; retryScheduleMs: number[] };
  destination: DestinationPolicy & { resolver?: Resolver };
  /** Source of randomness for retry jitter; tests pin it. */
  random?: () => number;
}

/** The sample a test send carries: the seed document's example values, flagged `"test": true`. */
function testSendExtras(webhook: WebhookRow): PayloadExtras {
  const condition = webhook.events[0] === 'custom_condition' ? webhook.conditions[0] : undefined;
  return {
    test: true,
    ...(condition ? { condition: { id: condition.id, prompt: condition.prompt, reason: 'Test send: no conversation was judged.' } } : {}),
  };
}

export function createDeliveryActivities(deps: DeliveryActivityDeps) {
  const random = deps.random ?? Math.random;

  async function decryptOrFail(deliveryId: string, webhookId: string, sealed: string): Promise<string> {
    try {
      return deps.secrets.decrypt(sealed);
    } catch {
      await finishDeliveryWithoutAttempt(deps.db, deliveryId, 'failed', ErrorType.SecretUndecryptable);
      throw ApplicationFailure.create({
        type: ErrorType.SecretUndecryptable,
        message: `the signing secret of webhook ${webhookId} cannot be decrypted with SECRETS_KEY`,
        nonRetryable: true,
      });
    }
  }

  /** Records pending deliveries for an event's targets and says how to carry each out. */
  async function createDeliveries(
    event: ChatEvent,
    workflowId: string,
    targets: Array<{ webhookId: string; conditionId?: string; payload: string }>,
  ): Promise<PreparedDelivery[]> {
    const rows = await upsertDeliveries(deps.db, {
      appId: event.appId,
      eventId: event.eventId,
      eventType: event.type,
      conversationId: event.conversationId,
      workflowId,
      isTest: Boolean(event.testWebhookId),
      targets,
    });
    return rows.map((r) => ({
      deliveryId: r.id,
      webhookId: r.webhook_id,
      ...(r.condition_id ? { conditionId: r.condition_id } : {}),
      timeoutMs: deps.delivery.timeoutMs,
      // A test send is a probe: one attempt, whose outcome the caller sees at once.
      retryScheduleMs: event.testWebhookId ? [] : deps.delivery.retryScheduleMs,
    }));
  }

  return {
    /**
     * Finds the app's enabled webhooks for the event's type (or, for a test send, the one webhook tested), builds the
     * payload and records one pending delivery per webhook. Safe to retry: a second run returns the deliveries the
     * first one created.
     */
    async prepareDeliveries(input: { event: ChatEvent; workflowId: string }): Promise<PreparedDelivery[]> {
      const { event } = input;
      const app = await findApp(deps.db, event.appId);
      if (!app) return []; // The app was deleted after the event was accepted: nobody to deliver to.
      let webhooks: WebhookRow[];
      let extras: PayloadExtras = {};
      if (event.testWebhookId) {
        const webhook = await findWebhook(deps.db, event.appId, event.testWebhookId);
        webhooks = webhook ? [webhook] : [];
        if (webhook) extras = testSendExtras(webhook);
      } else {
        webhooks = await listWebhooksForEvent(deps.db, event.appId, event.type);
      }
      if (webhooks.length === 0) return [];
      // "Conversation end" goes out once per conversation, whether the backend or the idle timer said so first.
      if (event.type === 'conversation_end' && event.conversationId && !event.testWebhookId) {
        if (!(await claimConversationEnd(deps.db, event.appId, event.conversationId, event.eventId))) return [];
      }
      const payload = JSON.stringify(buildPayload(event, app, extras));
      return createDeliveries(
        event,
        input.workflowId,
        webhooks.map((w) => ({ webhookId: w.id, payload })),
      );
    },

    /**
     * Claims the conditions that matched (once-per-conversation ones can fire only once, however many events race)
     * and records a "Custom condition" delivery for each that fires. Safe to retry.
     */
    async prepareConditionDeliveries(input: { event: ChatEvent; workflowId: string; matches: ConditionMatch[] }): Promise<PreparedDelivery[]> {
      const { event } = input;
      const app = await findApp(deps.db, event.appId);
      if (!app || !event.conversationId) return [];
      const targets: Array<{ webhookId: string; conditionId: string; payload: string }> = [];
      for (const match of input.matches) {
        if (match.fire === 'once_per_conversation' && !(await claimFiring(deps.db, event.appId, event.conversationId, match.conditionId, event.eventId))) {
          continue;
        }
        const condition = { id: match.conditionId, prompt: match.prompt, reason: match.reason };
        targets.push({ webhookId: match.webhookId, conditionId: match.conditionId, payload: JSON.stringify(buildPayload(event, app, { condition })) });
      }
      return createDeliveries(event, input.workflowId, targets);
    },

    /**
     * Makes attempt number `attempt` of a delivery and records it. Answers and network failures are values, never
     * exceptions: the result says whether the delivery is finished or when the next attempt is due.
     */
    async deliverWebhook(input: { deliveryId: string; attempt: number; timeoutMs: number; retryScheduleMs: number[] }): Promise<AttemptResult> {
      const target = await findDeliveryTarget(deps.db, input.deliveryId);
      if (!target) {
        throw ApplicationFailure.create({
          type: ErrorType.DeliveryNotFound,
          message: `delivery ${input.deliveryId} does not exist`,
          nonRetryable: true,
        });
      }
      const { delivery, webhook } = target;
      // A test send goes to a disabled webhook too: checking an endpoint before turning it on is what tests are for.
      if (!webhook || (!webhook.enabled && !delivery.is_test)) {
        const status = webhook ? 'skipped' : 'failed';
        const reason = webhook ? 'webhook disabled' : 'webhook deleted';
        await finishDeliveryWithoutAttempt(deps.db, delivery.id, status, reason);
        return { final: true, status, attempt: input.attempt - 1, statusCode: null, error: reason };
      }

      const secrets = [await decryptOrFail(delivery.id, delivery.webhook_id, webhook.secret_encrypted)];
      if (webhook.previous_secret_encrypted) {
        secrets.push(await decryptOrFail(delivery.id, delivery.webhook_id, webhook.previous_secret_encrypted));
      }

      // Checked again at every attempt: the URL may have been edited, and the name may now resolve elsewhere. The
      // connection itself goes through the guarded lookup, so the address checked there is the one connected to.
      const destination = await checkDestination(webhook.url, deps.destination, deps.destination.resolver);
      const sent: SendOutcome = destination.ok
        ? await sendSignedRequest({
            url: webhook.url,
            messageId: delivery.id,
            body: delivery.payload,
            secrets,
            timeoutMs: input.timeoutMs,
            dispatcher: deps.http.dispatcher,
          })
        : {
            startedAt: new Date(),
            durationMs: 0,
            statusCode: null,
            headers: null,
            excerpt: null,
            errorClass: 'blocked_destination',
            errorMessage: destination.reason,
          };

      const succeeded = sent.statusCode !== null && sent.statusCode >= 200 && sent.statusCode < 300;
      // Sending again cannot help a destination the policy refuses.
      const permanent = sent.errorClass === 'blocked_destination';
      const schedule = input.retryScheduleMs;
      const exhausted = input.attempt > schedule.length;
      const retryInMs = succeeded || permanent || exhausted ? null : withJitter(schedule[input.attempt - 1]!, random());
      const status = succeeded ? 'succeeded' : retryInMs === null ? 'failed' : 'pending';
      const errorClass = sent.errorClass ?? (succeeded ? null : 'http_status');
      const errorMessage = sent.errorMessage ?? (succeeded ? null : `HTTP ${sent.statusCode}`);
      const error = errorClass ? `${errorClass}: ${errorMessage}` : null;

      await recordAttempt(deps.db, {
        delivery_id: delivery.id,
        attempt: input.attempt,
        started_at: sent.startedAt,
        duration_ms: sent.durationMs,
        status_code: sent.statusCode,
        error_class: errorClass,
        error_message: errorMessage,
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
