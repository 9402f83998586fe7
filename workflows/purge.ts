/**
 * The retention purge, started every hour by the retention schedule: each step of PURGE_STEPS runs one bounded batch
 * after another until a batch comes back short, so no statement holds a lock long enough to slow deliveries. A long
 * purge continues as new before its history grows large.
 */
import { continueAsNew, proxyActivities } from '@temporalio/workflow';

import type { Activities } from '../activities';
import { PURGE_STEPS, type PurgeCounts } from '../src/domain/retention';
import type { PurgeInput, PurgeResult, PurgeWorkflow } from '../src/temporal/contracts';

const { purgeBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Batches per run: two history events each, well under Temporal's history limits. */
const BATCHES_PER_RUN = 500;

export async function purgeWorkflow(input: PurgeInput): Promise<PurgeResult> {
  const counts = input.counts ?? (Object.fromEntries(PURGE_STEPS.map((s) => [s, 0])) as PurgeCounts);
  let batches = input.batches ?? 0;
  let thisRun = 0;
  const { payloadRetentionMs, logRetentionMs, batchSize } = input;
  for (const step of PURGE_STEPS.slice(input.step ? PURGE_STEPS.indexOf(input.step) : 0)) {
    for (;;) {
      if (thisRun >= BATCHES_PER_RUN) {
        await continueAsNew<PurgeWorkflow>({ ...input, step, counts, batches });
      }
      const touched = await purgeBatch({ step, payloadRetentionMs, logRetentionMs, batchSize });
      thisRun++;
      batches++;
      counts[step] += touched;
      if (touched < batchSize) break;
    }
  }
  return { counts, batches };
}
