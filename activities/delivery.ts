/**
 * Delivery activities: turn an event into delivery rows, and carry out one signed attempt at a time.
 * The workflow owns the waiting between attempts (durable timers); these activities own I/O and the delivery log.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Dispatcher } from 'undici';

import type { Db } from '../src/db/pool';
import { findApp } from '../src/db/queries/apps';
import { claimConversationEnd, claimFiring } from '../src/db/queries/conditions';
import {
  type DeliveryRow,
  findDeliveryTarget,
  finishDeliveryWithoutAttempt,
  recordAttempt,
  upsertDeliveries,
} from '../src/db/queries/deliveries';
import {
  disableWebhook,
  findWebhook,
  listWebhooksForEvent,
  recordEndpointHealth,
  type WebhookRow,
} from '../src/db/queries/webhooks';
import type { ConditionMatch } from '../src/domain/conditions';
import {
  type AttemptResult,
  type DeliverySummary,
  nextRetryDelay,
  parseRetryAfter,
  type PreparedDelivery,
  type PreparedEvent,
} from '../src/domain/delivery';
import { ErrorType } from '../src/domain/errors';
import type { ChatEvent } from '../src/domain/events';
import { buildPayload, type PayloadExtras } from '../src/domain/payload';
import type { Logger } from '../src/logger';
import type { Metrics } from '../src/metrics';
import { checkDestination, type DestinationPolicy, type Resolver } from '../src/security/destination';
import type { SecretBox } from '../src/security/secret-box';
import { createEndpointLimiter } from './endpoint-limiter';
import { type SendOutcome,sendSignedRequest } from './send-signed-request';

export interface DeliveryActivityDeps {
  db: Db;
  secrets: SecretBox;
  /** The dispatcher must connect through the destination policy's guarded lookup (see createDeliveryAgent). */
  http: { dispatcher: Dispatcher };
  delivery: { timeoutMs: number; retryScheduleMs: number[]; disableAfterMs: number; maxInFlightPerEndpoint: number };
  destination: DestinationPolicy & { resolver?: Resolver };
  logger: Logger;
  metrics: Metrics;
  /** Source of randomness for retry jitter; tests pin it. */
  random?: () => number;
}

function blockedOutcome(reason: string): SendOutcome {
  return {
    startedAt: new Date(),
    durationMs: 0,
    statusCode: null,
    headers: null,
    excerpt: null,
    errorClass: 'blocked_destination',
    errorMessage: reason,
  };
}

/** The sample a test send carries: the seed document's example values, flagged `"test": true`. */
function testSendExtras(webhook: WebhookRow): PayloadExtras {
  const condition = webhook.events[0] === 'custom_condition' ? webhook.conditions[0] : undefined;
  return {
    test: true,
    ...(condition
      ? { condition: { id: condition.id, prompt: condition.prompt, reason: 'Test send: no conversation was judged.' } }
      : {}),
  };
}

/**
 * What the delivery log already says about this attempt, when it says anything: the delivery is finished, or this
 * attempt was recorded by an earlier execution of the same activity (its completion never reached Temporal: a worker
 * killed, a server restarted). Either way the receiver is not called again, and the workflow hears the recorded outcome.
 */
function recordedOutcome(delivery: DeliveryRow, attempt: number): AttemptResult | undefined {
  if (delivery.status !== 'pending') {
    return {
      kind: 'final',
      status: delivery.status,
      attempt: delivery.attempt_count,
      statusCode: delivery.last_status_code,
      error: delivery.last_error,
    };
  }
  if (delivery.attempt_count >= attempt) {
    const retryInMs = Math.max(0, (delivery.next_attempt_at?.getTime() ?? 0) - Date.now());
    return {
      kind: 'retry',
      attempt: delivery.attempt_count,
      statusCode: delivery.last_status_code,
      error: delivery.last_error,
      retryInMs,
    };
  }
  return undefined;
}

export function createDeliveryActivities(deps: DeliveryActivityDeps) {
  const random = deps.random ?? Math.random;
  const limiter = createEndpointLimiter(deps.delivery.maxInFlightPerEndpoint);

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
    targets: Array<{ webhook: WebhookRow; conditionId?: string; payload: string }>,
  ): Promise<PreparedDelivery[]> {
    const byId = new Map(targets.map((t) => [t.webhook.id, t.webhook]));
    const rows = await upsertDeliveries(deps.db, {
      appId: event.appId,
      eventId: event.eventId,
      eventType: event.type,
      conversationId: event.conversationId,
      workflowId,
      isTest: Boolean(event.testWebhookId),
      targets: targets.map((t) => ({ webhookId: t.webhook.id, conditionId: t.conditionId, payload: t.payload })),
    });
    return rows.map((r) => {
      const webhook = byId.get(r.webhook_id)!;
      return {
        deliveryId: r.id,
        webhookId: r.webhook_id,
        ...(r.condition_id ? { conditionId: r.condition_id } : {}),
        timeoutMs: webhook.timeout_ms ?? deps.delivery.timeoutMs,
        // A test send is a probe: one attempt, whose outcome the caller sees at once.
        retryScheduleMs: event.testWebhookId ? [] : (webhook.retry_schedule_ms ?? deps.delivery.retryScheduleMs),
      };
    });
  }

  return {
    /**
     * Finds the app's enabled webhooks for the event's type (or, for a test send, the one webhook tested), builds the
     * payload and records one pending delivery per webhook. Safe to retry: a second run returns the deliveries the
     * first one created.
     */
    async prepareDeliveries(input: { event: ChatEvent; workflowId: string }): Promise<PreparedEvent> {
      const { event } = input;
      const none: PreparedEvent = { deliveries: [], skipped: [] };
      const app = await findApp(deps.db, event.appId);
      if (!app) return none; // The app was deleted after the event was accepted: nobody to deliver to.
      let webhooks: WebhookRow[];
      let extras: PayloadExtras = {};
      if (event.testWebhookId) {
        const webhook = await findWebhook(deps.db, event.appId, event.testWebhookId);
        webhooks = webhook ? [webhook] : [];
        if (webhook) extras = testSendExtras(webhook);
      } else {
        webhooks = await listWebhooksForEvent(deps.db, event.appId, event.type);
      }
      if (webhooks.length === 0) return none;
      // "Conversation end" goes out once per conversation, whether the backend or the idle timer said so first.
      if (event.type === 'conversation_end' && event.conversationId && !event.testWebhookId) {
        if (!(await claimConversationEnd(deps.db, event.appId, event.conversationId, event.eventId))) return none;
      }
      const payload = JSON.stringify(buildPayload(event, app, extras));
      const prepared = await createDeliveries(
        event,
        input.workflowId,
        webhooks.map((webhook) => ({ webhook, payload })),
      );
      // Events for a disabled webhook are recorded as skipped, never attempted, so they can be recovered later. A test
      // send goes to a disabled webhook too: checking an endpoint before turning it on is what tests are for.
      const disabled = new Set(webhooks.filter((w) => !w.enabled && !event.testWebhookId).map((w) => w.id));
      const skipped: DeliverySummary[] = [];
      for (const d of prepared.filter((p) => disabled.has(p.webhookId))) {
        // Counted once: a retried preparation finds the delivery already skipped.
        if (await finishDeliveryWithoutAttempt(deps.db, d.deliveryId, 'skipped', 'webhook disabled'))
          deps.metrics.deliveries.inc({ outcome: 'skipped' });
        skipped.push({
          deliveryId: d.deliveryId,
          webhookId: d.webhookId,
          status: 'skipped',
          attempts: 0,
          statusCode: null,
          error: 'webhook disabled',
        });
      }
      return { deliveries: prepared.filter((p) => !disabled.has(p.webhookId)), skipped };
    },

    /**
     * Claims the conditions that matched (once-per-conversation ones can fire only once, however many events race)
     * and records a "Custom condition" delivery for each that fires. Safe to retry.
     */
    async prepareConditionDeliveries(input: {
      event: ChatEvent;
      workflowId: string;
      matches: ConditionMatch[];
    }): Promise<PreparedDelivery[]> {
      const { event } = input;
      const app = await findApp(deps.db, event.appId);
      if (!app || !event.conversationId) return [];
      const targets: Array<{ webhook: WebhookRow; conditionId: string; payload: string }> = [];
      for (const match of input.matches) {
        const webhook = await findWebhook(deps.db, event.appId, match.webhookId);
        if (!webhook) continue;
        if (
          match.fire === 'once_per_conversation' &&
          !(await claimFiring(deps.db, event.appId, event.conversationId, match.conditionId, event.eventId))
        ) {
          continue;
        }
        const condition = { id: match.conditionId, prompt: match.prompt, reason: match.reason };
        targets.push({
          webhook,
          conditionId: match.conditionId,
          payload: JSON.stringify(buildPayload(event, app, { condition })),
        });
      }
      return createDeliveries(event, input.workflowId, targets);
    },

    /**
     * Makes attempt number `attempt` of a delivery and records it. Answers and network failures are values, never
     * exceptions: the result says whether the delivery is finished or when the next attempt is due.
     */
    async deliverWebhook(input: {
      deliveryId: string;
      /** The attempt's number in the delivery log. */
      attempt: number;
      /** How many attempts this run made before (a replay's schedule starts afresh). */
      retryIndex: number;
      timeoutMs: number;
      retryScheduleMs: number[];
    }): Promise<AttemptResult> {
      const target = await findDeliveryTarget(deps.db, input.deliveryId);
      if (!target) {
        throw ApplicationFailure.create({
          type: ErrorType.DeliveryNotFound,
          message: `delivery ${input.deliveryId} does not exist`,
          nonRetryable: true,
        });
      }
      const { delivery, webhook } = target;
      const already = recordedOutcome(delivery, input.attempt);
      if (already) return already;
      const log = deps.logger.child({
        app_id: delivery.app_id,
        event_id: delivery.event_id,
        delivery_id: delivery.id,
        webhook_id: delivery.webhook_id,
        workflow_id: delivery.workflow_id,
      });
      if (!webhook || (!webhook.enabled && !delivery.is_test)) {
        const status = webhook ? 'skipped' : 'failed';
        const reason = webhook ? 'webhook disabled' : 'webhook deleted';
        if (await finishDeliveryWithoutAttempt(deps.db, delivery.id, status, reason))
          deps.metrics.deliveries.inc({ outcome: status });
        return { kind: 'final', status, attempt: input.attempt - 1, statusCode: null, error: reason };
      }

      const release = limiter.tryAcquire(webhook.url);
      if (!release) return { kind: 'busy' };
      let sent: SendOutcome;
      try {
        const secrets = [await decryptOrFail(delivery.id, delivery.webhook_id, webhook.secret_encrypted)];
        if (webhook.previous_secret_encrypted) {
          secrets.push(await decryptOrFail(delivery.id, delivery.webhook_id, webhook.previous_secret_encrypted));
        }
        // Checked again at every attempt: the URL may have been edited, and the name may now resolve elsewhere. The
        // connection itself goes through the guarded connector, so the address checked there is the one connected to.
        const destination = await checkDestination(webhook.url, deps.destination, deps.destination.resolver);
        sent = destination.ok
          ? await sendSignedRequest({
              url: webhook.url,
              messageId: delivery.id,
              body: delivery.payload,
              secrets,
              timeoutMs: input.timeoutMs,
              dispatcher: deps.http.dispatcher,
            })
          : blockedOutcome(destination.reason);
      } finally {
        release();
      }

      const code = sent.statusCode;
      const succeeded = code !== null && code >= 200 && code < 300;
      deps.metrics.attempts.inc({
        result: code !== null ? `${Math.floor(code / 100)}xx` : (sent.errorClass ?? 'network'),
      });
      if (code !== null) deps.metrics.attemptDuration.observe(sent.durationMs / 1000);

      // Sending again cannot help a destination the policy refuses, nor a receiver that says the hook is gone (Zapier
      // answers 410 when a Zap is turned off).
      const gone = code === 410;
      const permanent = gone || sent.errorClass === 'blocked_destination';
      const exhausted = input.retryIndex >= input.retryScheduleMs.length;
      const retryAfterMs =
        code === 429 || code === 503 ? parseRetryAfter(sent.headers?.['retry-after'], Date.now()) : undefined;
      const retryInMs =
        succeeded || permanent || exhausted
          ? null
          : nextRetryDelay(input.retryScheduleMs[input.retryIndex]!, random(), retryAfterMs);
      const errorClass = sent.errorClass ?? (succeeded ? null : 'http_status');
      const errorMessage = sent.errorMessage ?? (succeeded ? null : `HTTP ${code}`);
      const error = errorClass ? `${errorClass}: ${errorMessage}` : null;

      // Test sends probe an endpoint; they do not count towards its health.
      let disabled: { reason: string } | undefined;
      if (!delivery.is_test) {
        if (gone) {
          if (await disableWebhook(deps.db, delivery.webhook_id, 'gone')) disabled = { reason: 'gone' };
        } else if (sent.errorClass !== 'blocked_destination') {
          const health = await recordEndpointHealth(
            deps.db,
            delivery.webhook_id,
            succeeded,
            deps.delivery.disableAfterMs,
          );
          if (health.disabledNow) disabled = { reason: 'failing' };
        }
      }
      // A webhook disabled by this attempt takes no more attempts.
      const finalRetry = disabled ? null : retryInMs;
      const status = succeeded ? 'succeeded' : finalRetry === null ? 'failed' : 'pending';

      const recorded = await recordAttempt(deps.db, {
        delivery_id: delivery.id,
        attempt: input.attempt,
        started_at: sent.startedAt,
        duration_ms: sent.durationMs,
        status_code: code,
        error_class: errorClass,
        error_message: errorMessage,
        response_headers: sent.headers,
        response_excerpt: sent.excerpt,
        next_attempt_at: finalRetry === null ? null : new Date(Date.now() + finalRetry),
        status,
      });
      if (!recorded) {
        // Another execution of this attempt finished the delivery while this one was sending: its record stands, and
        // this send shows only at the receiver (at-least-once).
        const current = await findDeliveryTarget(deps.db, input.deliveryId);
        const outcome = current && recordedOutcome(current.delivery, input.attempt);
        if (!outcome) {
          throw ApplicationFailure.create({
            type: ErrorType.DeliveryNotFound,
            message: `delivery ${input.deliveryId} does not exist`,
            nonRetryable: true,
          });
        }
        log.warn({ attempt: input.attempt }, 'attempt already recorded by another execution; keeping that record');
        return outcome;
      }

      if (disabled) {
        deps.metrics.webhooksDisabled.inc({ reason: disabled.reason });
        log.warn({ reason: disabled.reason }, 'webhook disabled');
      }
      if (succeeded && input.attempt === input.retryIndex + 1) {
        // The payload's timestamp is when the event occurred; a replay's later attempts would only add noise.
        const occurred = Date.parse((JSON.parse(delivery.payload) as { timestamp: string }).timestamp);
        if (!Number.isNaN(occurred)) deps.metrics.endToEndLatency.observe(Math.max(0, Date.now() - occurred) / 1000);
      }
      if (finalRetry === null) {
        deps.metrics.deliveries.inc({ outcome: status });
        return {
          kind: 'final',
          status: succeeded ? 'succeeded' : 'failed',
          attempt: input.attempt,
          statusCode: code,
          error: disabled ? `${error}; webhook disabled (${disabled.reason})` : error,
          ...(disabled ? { disabled } : {}),
        };
      }
      return { kind: 'retry', attempt: input.attempt, statusCode: code, error, retryInMs: finalRetry };
    },

    /** Ends a delivery the workflow gave up on (its attempts kept failing inside the worker), so the log says so. */
    async finishDelivery(input: { deliveryId: string; reason: string }): Promise<void> {
      // A late execution may have finished it meanwhile: its outcome stands, and is not counted twice.
      if (await finishDeliveryWithoutAttempt(deps.db, input.deliveryId, 'failed', input.reason))
        deps.metrics.deliveries.inc({ outcome: 'failed' });
    },

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

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;
