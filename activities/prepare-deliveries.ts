/**
 * Preparing deliveries: turn an event (or the conditions it matched) into pending rows in the delivery log, one per
 * webhook, and say how the workflow carries each out.
 */
import type { Db } from '../src/db/pool';
import { findApp } from '../src/db/queries/apps';
import { claimConversationEnd, claimFiring } from '../src/db/queries/conditions';
import { type DeliveryTarget, finishDeliveryWithoutAttempt, upsertDeliveries } from '../src/db/queries/deliveries';
import { findWebhook, listWebhooksForEvent, type WebhookRow } from '../src/db/queries/webhooks';
import type { ConditionMatch } from '../src/domain/conditions';
import type { DeliverySummary, PreparedDelivery, PreparedEvent } from '../src/domain/delivery';
import { type ChatEvent, endsConversation, isTestSend } from '../src/domain/events';
import { evaluateFilter, filterContext } from '../src/domain/filters';
import { renderBody } from '../src/domain/formats';
import { buildPayload, type PayloadExtras, type WebhookPayload } from '../src/domain/payload';
import type { Metrics } from '../src/metrics';
import type { SecretBox } from '../src/security/secret-box';
import { createUserKeyOf } from '../src/security/user-key';

export interface PrepareDeliveryDeps {
  db: Db;
  delivery: { timeoutMs: number; retryScheduleMs: number[] };
  metrics: Metrics;
  secrets: SecretBox;
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

/** The webhook as an attempt sees it; findDeliveryTarget reads the same from the database. */
function attemptView(webhook: WebhookRow): NonNullable<DeliveryTarget['webhook']> {
  const overlap = webhook.previous_secret_expires_at && webhook.previous_secret_expires_at.getTime() > Date.now();
  return {
    url: webhook.url,
    secret_encrypted: webhook.secret_encrypted,
    previous_secret_encrypted: overlap ? webhook.previous_secret_encrypted : null,
    enabled: webhook.enabled,
    failing_since: webhook.failing_since,
    created_via: webhook.created_via,
  };
}

export function createPrepareDeliveryActivities(deps: PrepareDeliveryDeps) {
  const userKeyOf = createUserKeyOf(deps.secrets);

  /**
   * Records pending deliveries for an event's targets and says how to carry each out. With `collect`, also gives each
   * delivery's row and webhook as they stand, for an attempt made at once (prepareEvent's first attempts).
   */
  async function createDeliveries(
    event: ChatEvent,
    workflowId: string,
    targets: Array<{ webhook: WebhookRow; conditionId?: string; payload: WebhookPayload }>,
    collect?: Map<string, DeliveryTarget>,
  ): Promise<PreparedDelivery[]> {
    const byId = new Map(targets.map((t) => [t.webhook.id, t.webhook]));
    const rows = await upsertDeliveries(deps.db, {
      appId: event.appId,
      eventId: event.eventId,
      eventType: event.type,
      conversationId: event.conversationId,
      workflowId,
      isTest: isTestSend(event),
      userKey: userKeyOf(event.appId, event.user?.id),
      // Each webhook gets the body of its format; the delivery log keeps it exactly as sent.
      targets: targets.map((t) => ({
        webhookId: t.webhook.id,
        conditionId: t.conditionId,
        payload: renderBody(t.webhook.format, t.payload),
        format: t.webhook.format,
      })),
    });
    return rows.map((r) => {
      const webhook = byId.get(r.webhook_id)!;
      collect?.set(r.id, { delivery: r, webhook: attemptView(webhook) });
      return {
        deliveryId: r.id,
        webhookId: r.webhook_id,
        ...(r.condition_id ? { conditionId: r.condition_id } : {}),
        timeoutMs: webhook.timeout_ms ?? deps.delivery.timeoutMs,
        // A test send is a probe: one attempt, whose outcome the caller sees at once.
        retryScheduleMs: isTestSend(event) ? [] : (webhook.retry_schedule_ms ?? deps.delivery.retryScheduleMs),
      };
    });
  }

  return {
    /**
     * Finds the app's enabled webhooks for the event's type (or, for a test send, the one webhook tested), builds the
     * payload and records one pending delivery per webhook. Safe to retry: a second run returns the deliveries the
     * first one created.
     */
    async prepareDeliveries(
      input: { event: ChatEvent; workflowId: string },
      /** Not from Temporal, which passes one argument: prepareEvent's, to collect the targets in. */
      collect?: Map<string, DeliveryTarget>,
    ): Promise<PreparedEvent> {
      const { event } = input;
      const none: PreparedEvent = { deliveries: [], skipped: [] };
      const app = await findApp(deps.db, event.appId);
      if (!app) return none; // The app was deleted after the event was accepted: nobody to deliver to.
      let webhooks: WebhookRow[];
      let extras: PayloadExtras = {};
      if (isTestSend(event)) {
        const webhook = await findWebhook(deps.db, event.appId, event.testWebhookId);
        webhooks = webhook ? [webhook] : [];
        if (webhook) extras = testSendExtras(webhook);
      } else {
        webhooks = await listWebhooksForEvent(deps.db, event.appId, event.type);
      }
      if (webhooks.length === 0) return none;
      if (endsConversation(event) && event.conversationId) {
        if (!(await claimConversationEnd(deps.db, event.appId, event.conversationId, event.eventId))) return none;
      }
      const payload = buildPayload(event, app, extras);
      const prepared = await createDeliveries(
        event,
        input.workflowId,
        webhooks.map((webhook) => ({ webhook, payload })),
        collect,
      );
      // Events for a disabled webhook are recorded as skipped, never attempted, so they can be recovered later. A test
      // send goes to a disabled webhook too: checking an endpoint before turning it on is what tests are for. So does
      // it to a filtered one: the sample is the same whatever the filter, and POST .../filters/try tries filters.
      // Events a webhook's filter refuses are recorded as skipped too, with the reason "filtered".
      const skipReasons = new Map<string, string>();
      if (!isTestSend(event)) {
        const context = filterContext(event);
        for (const w of webhooks) {
          if (!w.enabled) skipReasons.set(w.id, 'webhook disabled');
          else if (w.filter) {
            const outcome = evaluateFilter(w.filter, context);
            if (!outcome.matched)
              skipReasons.set(w.id, 'error' in outcome ? `filtered (${outcome.error})` : 'filtered');
          }
        }
      }
      const skipped: DeliverySummary[] = [];
      for (const d of prepared) {
        const reason = skipReasons.get(d.webhookId);
        if (!reason) continue;
        // Counted once: a retried preparation finds the delivery already skipped.
        if (await finishDeliveryWithoutAttempt(deps.db, d.deliveryId, 'skipped', reason))
          deps.metrics.deliveries.inc({ outcome: 'skipped' });
        skipped.push({
          deliveryId: d.deliveryId,
          webhookId: d.webhookId,
          status: 'skipped',
          attempts: 0,
          statusCode: null,
          error: reason,
        });
      }
      return { deliveries: prepared.filter((p) => !skipReasons.has(p.webhookId)), skipped };
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
      const targets: Array<{ webhook: WebhookRow; conditionId: string; payload: WebhookPayload }> = [];
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
          payload: buildPayload(event, app, { condition }),
        });
      }
      return createDeliveries(event, input.workflowId, targets);
    },
  };
}

export type PrepareDeliveryActivities = ReturnType<typeof createPrepareDeliveryActivities>;
