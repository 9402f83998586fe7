/**
 * Replay and recovery activities: reopen stored deliveries so the delivery loop sends them again, with the same
 * webhook-id and payload, to the webhook's current URL and secret.
 */
import type { Db } from '../src/db/pool';
import { countRecoverableDeliveries, listRecoverableDeliveries, reopenDelivery } from '../src/db/queries/deliveries';
import type { PreparedDelivery } from '../src/domain/delivery';

export interface ReplayActivityDeps {
  db: Db;
  delivery: { timeoutMs: number; retryScheduleMs: number[] };
}

export function createReplayActivities(deps: ReplayActivityDeps) {
  return {
    /**
     * Reopens a delivery for another round of attempts, numbered after its last one. Null when the delivery or its
     * webhook is gone. `retryScheduleMs` overrides the webhook's schedule (recoveries use a short one).
     */
    async reopenDelivery(input: {
      appId: string;
      deliveryId: string;
      retryScheduleMs?: number[];
    }): Promise<PreparedDelivery | null> {
      const row = await reopenDelivery(deps.db, input.appId, input.deliveryId);
      if (!row) return null;
      return {
        deliveryId: input.deliveryId,
        webhookId: row.webhook_id,
        ...(row.condition_id ? { conditionId: row.condition_id } : {}),
        timeoutMs: row.timeout_ms ?? deps.delivery.timeoutMs,
        retryScheduleMs: input.retryScheduleMs ?? row.retry_schedule_ms ?? deps.delivery.retryScheduleMs,
        firstAttempt: row.next_attempt,
      };
    },

    async countRecoverable(input: { appId: string; webhookId: string; since: string; until: string }): Promise<number> {
      return countRecoverableDeliveries(deps.db, {
        ...input,
        since: new Date(input.since),
        until: new Date(input.until),
      });
    },

    /** One page of failed and skipped deliveries to recover, oldest first. */
    async listRecoverable(input: {
      appId: string;
      webhookId: string;
      since: string;
      until: string;
      after?: { createdAt: string; id: string };
      limit: number;
    }): Promise<Array<{ id: string; createdAt: string }>> {
      const rows = await listRecoverableDeliveries(deps.db, {
        ...input,
        since: new Date(input.since),
        until: new Date(input.until),
        after: input.after ? { createdAt: new Date(input.after.createdAt), id: input.after.id } : undefined,
      });
      return rows.map((r) => ({ id: r.id, createdAt: r.created_at.toISOString() }));
    },
  };
}
