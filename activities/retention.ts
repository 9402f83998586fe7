/** The purge's one activity: a bounded batch of one purge step (see src/db/queries/retention.ts). */
import type { Db } from '../src/db/pool';
import { purgeBatch } from '../src/db/queries/retention';
import type { PurgeStep } from '../src/domain/retention';

export interface RetentionActivityDeps {
  db: Db;
}

export function createRetentionActivities(deps: RetentionActivityDeps) {
  return {
    /** Deletes (or blanks) at most `batchSize` rows of one step; returns how many it touched. */
    async purgeBatch(input: {
      step: PurgeStep;
      payloadRetentionMs: number;
      logRetentionMs: number;
      batchSize: number;
    }): Promise<number> {
      return purgeBatch(deps.db, input.step, input, input.batchSize);
    },
  };
}
