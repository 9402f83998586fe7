/**
 * `bullmq` ingest: validates the event, builds the payload and enqueues one delivery job, as many teams do instead of
 * a workflow engine. The job id is the event id, so a repeated event is not queued twice.
 *
 * env: REDIS_URL, QUEUE_NAME, PORT
 */
import { Queue } from 'bullmq';

import { buildDelivery, MAX_ATTEMPTS, onSigterm, requiredEnv, serveIngest } from './shared';

async function main() {
  const queue = new Queue(requiredEnv('QUEUE_NAME'), { connection: { url: requiredEnv('REDIS_URL') } });
  await queue.waitUntilReady();
  const server = await serveIngest(async (body) => {
    const delivery = buildDelivery(body, new Date());
    await queue.add('deliver', delivery, {
      jobId: delivery.eventId,
      attempts: MAX_ATTEMPTS,
      backoff: { type: 'product-schedule' },
      removeOnComplete: true,
      removeOnFail: 10_000,
    });
    return { status: 202, body: { event_id: delivery.eventId, status: 'accepted' } };
  });
  onSigterm(async () => {
    server.close();
    server.closeIdleConnections();
    await queue.close();
  });
}

void main();
