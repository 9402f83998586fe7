/**
 * One attempt of one delivery: send it signed, decide what follows (src/domain/delivery.ts's decideAfterAttempt),
 * keep the endpoint's health, and record the attempt. The workflow owns the waiting between attempts (durable timers);
 * this activity owns the I/O and the delivery log.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Dispatcher } from 'undici';

import type { Db } from '../src/db/pool';
import {
  type DeliveryRow,
  type DeliveryTarget,
  findDeliveryTarget,
  finishDeliveryWithoutAttempt,
  recordAttempt,
} from '../src/db/queries/deliveries';
import { deleteWebhook, disableWebhook, recordEndpointHealth } from '../src/db/queries/webhooks';
import { type AttemptDecision, type AttemptResult, decideAfterAttempt, parseRetryAfter } from '../src/domain/delivery';
import { ErrorType } from '../src/domain/errors';
import type { Logger } from '../src/logger';
import type { Metrics } from '../src/metrics';
import { createEndpointLimiter } from '../src/outbound/endpoint-limiter';
import { type SendOutcome, sendSignedRequest } from '../src/outbound/send-signed-request';
import { checkDestination, type DestinationPolicy, type Resolver } from '../src/security/destination';
import type { SecretBox } from '../src/security/secret-box';

export interface DeliverWebhookDeps {
  db: Db;
  secrets: SecretBox;
  /** The dispatcher must connect through the destination policy's guarded lookup (see createDeliveryAgent). */
  http: { dispatcher: Dispatcher };
  delivery: { timeoutMs: number; disableAfterMs: number; maxInFlightPerEndpoint: number };
  destination: DestinationPolicy & { resolver?: Resolver };
  logger: Logger;
  metrics: Metrics;
}

export interface DeliverWebhookInput {
  deliveryId: string;
  /** The attempt's number in the delivery log. */
  attempt: number;
  /** How many attempts this run made before (a replay's schedule starts afresh). */
  retryIndex: number;
  timeoutMs: number;
  retryScheduleMs: number[];
}

function deliveryNotFound(deliveryId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.DeliveryNotFound,
    message: `delivery ${deliveryId} does not exist`,
    nonRetryable: true,
  });
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

/** The log's words for an attempt: the error class and message, null for a success. */
function describe(sent: SendOutcome, succeeded: boolean) {
  const errorClass = sent.errorClass ?? (succeeded ? null : 'http_status');
  const errorMessage = sent.errorMessage ?? (succeeded ? null : `HTTP ${sent.statusCode}`);
  return { errorClass, errorMessage, error: errorClass ? `${errorClass}: ${errorMessage}` : null };
}

/**
 * One attempt of one delivery, given what the delivery log and the webhook say now: shared by the deliverWebhook
 * activity, which reads them from the database, and by prepareEvent's first attempts, which have just written them.
 * One per worker process, so that the endpoint limiter counts every request the process has in flight.
 */
export function createDeliveryAttempts(deps: DeliverWebhookDeps) {
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

  /** Signs with the current secret and, during a rotation's overlap, the previous one; undefined when busy. */
  async function send(
    delivery: DeliveryRow,
    body: string,
    webhook: NonNullable<DeliveryTarget['webhook']>,
    timeoutMs: number,
  ): Promise<SendOutcome | undefined> {
    const release = limiter.tryAcquire(webhook.url);
    if (!release) return undefined;
    try {
      const secrets = [await decryptOrFail(delivery.id, delivery.webhook_id, webhook.secret_encrypted)];
      if (webhook.previous_secret_encrypted) {
        secrets.push(await decryptOrFail(delivery.id, delivery.webhook_id, webhook.previous_secret_encrypted));
      }
      // Checked again at every attempt: the URL may have been edited, and the name may now resolve elsewhere. The
      // connection itself goes through the guarded connector, so the address checked there is the one connected to.
      const destination = await checkDestination(webhook.url, deps.destination, deps.destination.resolver);
      if (!destination.ok) return blockedOutcome(destination.reason);
      return await sendSignedRequest({
        url: webhook.url,
        messageId: delivery.id,
        body,
        secrets,
        timeoutMs,
        dispatcher: deps.http.dispatcher,
      });
    } finally {
      release();
    }
  }

  /**
   * Keeps the endpoint's health: a 410 disables the webhook at once (or deletes it, when a REST Hook subscribe made
   * it: the platform answers 410 once the Zap is off, and nobody will turn it on again), and failures for longer than
   * DISABLE_AFTER disable it. Test sends probe an endpoint and do not count; a refused destination says nothing about
   * the endpoint.
   */
  async function keepHealth(
    delivery: DeliveryRow,
    webhook: NonNullable<DeliveryTarget['webhook']>,
    decision: AttemptDecision,
  ): Promise<{ reason: string } | 'deleted' | undefined> {
    if (delivery.is_test || decision.kind === 'blocked') return undefined;
    if (decision.kind === 'gone') {
      if (webhook.created_via === 'rest_hook')
        return (await deleteWebhook(deps.db, delivery.app_id, delivery.webhook_id)) ? 'deleted' : undefined;
      return (await disableWebhook(deps.db, delivery.webhook_id, 'gone')) ? { reason: 'gone' } : undefined;
    }
    const succeeded = decision.kind === 'succeeded';
    // A success at an endpoint that was not failing when its row was read has nothing to clear. (A failure recorded by
    // another attempt in between stays until the next success that reads it: one success later, not never.)
    if (succeeded && webhook.failing_since === null) return undefined;
    const health = await recordEndpointHealth(deps.db, delivery.webhook_id, succeeded, deps.delivery.disableAfterMs);
    return health.disabledNow ? { reason: 'failing' } : undefined;
  }

  function count(sent: SendOutcome): void {
    const code = sent.statusCode;
    deps.metrics.attempts.inc({
      result: code !== null ? `${Math.floor(code / 100)}xx` : (sent.errorClass ?? 'network'),
    });
    if (code !== null) deps.metrics.attemptDuration.observe(sent.durationMs / 1000);
  }

  /** The payload's timestamp is when the event occurred; only a run's first attempt measures end-to-end latency. */
  function observeEndToEnd(body: string): void {
    const occurred = Date.parse((JSON.parse(body) as { timestamp: string }).timestamp);
    if (!Number.isNaN(occurred)) deps.metrics.endToEndLatency.observe(Math.max(0, Date.now() - occurred) / 1000);
  }

  return {
    /**
     * Makes attempt number `attempt` of the delivery in `target` and records it. Answers and network failures are
     * values, never exceptions: the result says whether the delivery is finished or when the next attempt is due.
     */
    async attempt(target: DeliveryTarget, input: DeliverWebhookInput): Promise<AttemptResult> {
      const { delivery, webhook } = target;
      const already = recordedOutcome(delivery, input.attempt);
      if (already) return already;
      if (!webhook || (!webhook.enabled && !delivery.is_test)) {
        const status = webhook ? 'skipped' : 'failed';
        const reason = webhook ? 'webhook disabled' : 'webhook deleted';
        if (await finishDeliveryWithoutAttempt(deps.db, delivery.id, status, reason)) {
          deps.metrics.deliveries.inc({ outcome: status });
        }
        return { kind: 'final', status, attempt: input.attempt - 1, statusCode: null, error: reason };
      }

      // The user was erased (or, for a delivery reopened just before a purge, the payload expired): nothing to send.
      // The erasure ends waiting deliveries itself; this covers one that raced it. The workflow hears a final outcome.
      const body = delivery.payload;
      if (body === null) {
        const reason = delivery.erased_at ? 'user erased' : 'payload expired';
        if (await finishDeliveryWithoutAttempt(deps.db, delivery.id, 'skipped', reason)) {
          deps.metrics.deliveries.inc({ outcome: 'skipped' });
        }
        return { kind: 'final', status: 'skipped', attempt: input.attempt - 1, statusCode: null, error: reason };
      }

      const sent = await send(delivery, body, webhook, input.timeoutMs);
      if (!sent) return { kind: 'busy' };
      count(sent);
      const decision = decideAfterAttempt(
        {
          statusCode: sent.statusCode,
          errorClass: sent.errorClass,
          retryAfterMs: parseRetryAfter(sent.headers?.['retry-after'], Date.now()),
        },
        input.retryScheduleMs,
        input.retryIndex,
        Math.random,
      );
      const succeeded = decision.kind === 'succeeded';
      const health = await keepHealth(delivery, webhook, decision);
      const deleted = health === 'deleted';
      const disabled = deleted ? undefined : health;
      // A webhook disabled by this attempt takes no more attempts.
      const retryInMs = decision.kind === 'retry' && !health ? decision.inMs : null;
      const status = succeeded ? 'succeeded' : retryInMs === null ? 'failed' : 'pending';
      const { errorClass, errorMessage, error } = describe(sent, succeeded);

      const log = deps.logger.child({
        app_id: delivery.app_id,
        event_id: delivery.event_id,
        delivery_id: delivery.id,
        webhook_id: delivery.webhook_id,
        workflow_id: delivery.workflow_id,
      });
      const recorded = await recordAttempt(deps.db, {
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
      if (!recorded) {
        // Another execution of this attempt finished the delivery while this one was sending: its record stands, and
        // this send shows only at the receiver (at-least-once).
        const current = await findDeliveryTarget(deps.db, input.deliveryId);
        const outcome = current && recordedOutcome(current.delivery, input.attempt);
        if (!outcome) throw deliveryNotFound(input.deliveryId);
        log.warn({ attempt: input.attempt }, 'attempt already recorded by another execution; keeping that record');
        return outcome;
      }

      if (disabled) {
        deps.metrics.webhooksDisabled.inc({ reason: disabled.reason });
        log.warn({ reason: disabled.reason }, 'webhook disabled');
      }
      if (deleted) log.info('REST Hook subscription answered 410: webhook deleted');
      if (succeeded && input.attempt === input.retryIndex + 1) observeEndToEnd(body);
      if (retryInMs === null) {
        deps.metrics.deliveries.inc({ outcome: status });
        return {
          kind: 'final',
          status: succeeded ? 'succeeded' : 'failed',
          attempt: input.attempt,
          statusCode: sent.statusCode,
          error: deleted
            ? `${error}; webhook deleted (REST Hook unsubscribed)`
            : disabled
              ? `${error}; webhook disabled (${disabled.reason})`
              : error,
          ...(disabled ? { disabled } : {}),
        };
      }
      return { kind: 'retry', attempt: input.attempt, statusCode: sent.statusCode, error, retryInMs };
    },
  };
}

export type DeliveryAttempts = ReturnType<typeof createDeliveryAttempts>;

export function createDeliverWebhookActivities(deps: DeliverWebhookDeps, attempts: DeliveryAttempts) {
  return {
    /** Makes attempt number `attempt` of a delivery, as the delivery log and its webhook stand now, and records it. */
    async deliverWebhook(input: DeliverWebhookInput): Promise<AttemptResult> {
      const target = await findDeliveryTarget(deps.db, input.deliveryId);
      if (!target) throw deliveryNotFound(input.deliveryId);
      return attempts.attempt(target, input);
    },

    /** Ends a delivery the workflow gave up on (its attempts kept failing inside the worker), so the log says so. */
    async finishDelivery(input: { deliveryId: string; reason: string }): Promise<void> {
      // A late execution may have finished it meanwhile: its outcome stands, and is not counted twice.
      if (await finishDeliveryWithoutAttempt(deps.db, input.deliveryId, 'failed', input.reason)) {
        deps.metrics.deliveries.inc({ outcome: 'failed' });
      }
    },
  };
}
