/**
 * `bullmq` worker: carries out delivery jobs with the product's retry schedule (8 attempts, 5 s … 10 h, ±20%).
 * Concurrency matches the Temporal worker's default activity slots (100).
 *
 * env: REDIS_URL, QUEUE_NAME, RECEIVER_URL, WEBHOOK_SECRET
 */
import { Worker } from 'bullmq';

import { createSender, onSigterm, requiredEnv, retryDelayMs } from './shared';

async function main() {
  const url = requiredEnv('RECEIVER_URL');
  const sender = createSender(requiredEnv('WEBHOOK_SECRET'));
  const worker = new Worker<{ eventId: string; messageId: string; payload: string }>(
    requiredEnv('QUEUE_NAME'),
    async (job) => {
      const status = await sender.send(url, job.data.messageId, job.data.payload);
      if (status < 200 || status >= 300) throw new Error(`receiver answered ${status}`);
    },
    {
      connection: { url: requiredEnv('REDIS_URL') },
      concurrency: 100,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade) },
    },
  );
  await worker.waitUntilReady();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  onSigterm(async () => {
    await worker.close();
    await sender.close();
  });
}

void main();
