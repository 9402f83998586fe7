/**
 * "Delete my account": erases what the service holds for one user of one app (see src/db/queries/erasure.ts), then
 * tells the workflows whose deliveries it ended, so they stop waiting for a retry now instead of at the retry's time.
 */
import { WorkflowNotFoundError } from '@temporalio/client';

import type { Db } from '../db/pool';
import { eraseUser, type ErasureCounts } from '../db/queries/erasure';
import type { Logger } from '../logger';
import type { SecretBox } from '../security/secret-box';
import { createUserKeyOf } from '../security/user-key';
import { webhooksChanged } from '../temporal/contracts';
import type { EventServiceDeps } from './events';

export interface ErasureDeps {
  db: Db;
  secrets: SecretBox;
  temporal: EventServiceDeps['temporal'];
  logger: Logger;
}

export async function eraseAppUser(deps: ErasureDeps, appId: string, userId: string): Promise<ErasureCounts> {
  const userKey = createUserKeyOf(deps.secrets)(appId, userId)!;
  const { counts, ended } = await eraseUser(deps.db, appId, userKey);
  // The deliveries are already ended in the log: a workflow told nothing ends them at its next attempt, unsent.
  // Waking it (webhooksChanged makes a waiting delivery try now) only ends them sooner.
  const byWorkflow = new Map<string, string[]>();
  for (const { workflow_id, webhook_id } of ended) {
    byWorkflow.set(workflow_id, [...(byWorkflow.get(workflow_id) ?? []), webhook_id]);
  }
  await Promise.all(
    [...byWorkflow].map(async ([workflowId, webhookIds]) => {
      try {
        await deps.temporal.client.workflow.getHandle(workflowId).signal(webhooksChanged, webhookIds);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) {
          deps.logger.warn({ err: error, workflow_id: workflowId, app_id: appId }, 'could not wake an erased delivery');
        }
      }
    }),
  );
  deps.logger.info({ app_id: appId, ...counts }, 'user erased');
  return counts;
}
