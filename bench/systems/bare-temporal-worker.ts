/**
 * `bare-temporal` and `temporal-floor` worker: the workflows in bench/workflows/bare-delivery.ts and their one activity.
 *
 * env: TEMPORAL_ADDRESS, TASK_QUEUE, RECEIVER_URL, WEBHOOK_SECRET, WORKFLOW_BUNDLE_PATH (optional: else bundled at
 * start)
 */
import path from 'node:path';

import { ApplicationFailure, Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';

import { installTemporalRuntime } from '../../src/temporal/runtime';
import { createSender, onSigterm, requiredEnv, retryDelayMs } from './shared';

export const BARE_WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/bare-delivery.ts');

function createBareActivities(url: string, sender: ReturnType<typeof createSender>) {
  return {
    async deliverPayload(input: { messageId: string; payload: string }): Promise<number> {
      const status = await sender.send(url, input.messageId, input.payload);
      if (status >= 200 && status < 300) return status;
      throw ApplicationFailure.create({
        message: `receiver answered ${status}`,
        nextRetryDelay: retryDelayMs(Context.current().info.attempt),
      });
    },
  };
}

export type BareActivities = ReturnType<typeof createBareActivities>;

async function main() {
  installTemporalRuntime('warn');
  const sender = createSender(requiredEnv('WEBHOOK_SECRET'));
  const connection = await NativeConnection.connect({ address: requiredEnv('TEMPORAL_ADDRESS') });
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  const worker = await Worker.create({
    connection,
    taskQueue: requiredEnv('TASK_QUEUE'),
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : { workflowsPath: BARE_WORKFLOWS_PATH }),
    activities: createBareActivities(requiredEnv('RECEIVER_URL'), sender),
  });
  const running = worker.run();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  onSigterm(async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await sender.close();
  });
}

if (require.main === module) void main();
