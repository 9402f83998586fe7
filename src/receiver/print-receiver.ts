/**
 * `chat-webhooks receiver`: the one receiver, printing every webhook it gets and, given the secret, whether its
 * signature verifies.
 */
import { type Receiver, startReceiver } from './recording-receiver';

export function startPrintingReceiver(opts: {
  port: number;
  host: string;
  secret?: string;
  status: number;
}): Promise<Receiver> {
  return startReceiver({
    port: opts.port,
    host: opts.host,
    path: '/',
    // Printed, not kept: a receiver left running for a day must not grow.
    record: false,
    secrets: opts.secret ? [opts.secret] : [],
    // A GET is someone checking that the receiver is up: answered without printing anything.
    decide: (request) =>
      request.method === 'POST'
        ? { status: opts.status, body: JSON.stringify({ received: true }) }
        : { status: 200, body: 'chat-webhooks dev receiver\n', headers: { 'content-type': 'text/plain' } },
    onRequest(request) {
      if (request.method !== 'POST') return;
      const verdict =
        request.signature === 'valid'
          ? 'valid'
          : request.signature === 'invalid'
            ? `INVALID (${request.signatureError})`
            : 'not checked (start with --secret to verify)';
      let pretty = request.body;
      try {
        pretty = JSON.stringify(JSON.parse(request.body), null, 2);
      } catch {
        // Not JSON: print it as it came.
      }
      process.stdout.write(
        `\n--- ${request.method} ${request.path} at ${request.receivedAt.toISOString()}\n` +
          `webhook-id: ${request.headers['webhook-id']}\nwebhook-timestamp: ${request.headers['webhook-timestamp']}\n` +
          `signature: ${verdict}\n${pretty}\n`,
      );
    },
  });
}
