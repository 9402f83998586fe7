/**
 * `direct`: an HTTP handler that signs and POSTs the webhook before it answers. No durability and no retries: a
 * receiver that is down loses the event. The practical limit of "just send it".
 *
 * env: RECEIVER_URL, WEBHOOK_SECRET, PORT (0 = any)
 */
import { buildDelivery, createSender, onSigterm, requiredEnv, serveIngest } from './shared';

async function main() {
  const url = requiredEnv('RECEIVER_URL');
  const sender = createSender(requiredEnv('WEBHOOK_SECRET'));
  const server = await serveIngest(async (body) => {
    const { eventId, messageId, payload } = buildDelivery(body, new Date());
    const status = await sender.send(url, messageId, payload);
    if (status < 200 || status >= 300)
      return { status: 502, body: { event_id: eventId, status: 'failed', receiver_status: status } };
    return { status: 202, body: { event_id: eventId, status: 'delivered' } };
  });
  onSigterm(async () => {
    server.close();
    server.closeIdleConnections();
    await sender.close();
  });
}

void main();
