/**
 * A local receiver for trying the service by hand: prints every webhook it gets and, given the secret, whether its
 * signature verifies (with the standardwebhooks library, as a real receiver would).
 */
import http from 'node:http';

import { Webhook } from 'standardwebhooks';

export function startDevReceiver(opts: {
  port: number;
  host: string;
  secret?: string;
  status: number;
}): Promise<http.Server> {
  const verifier = opts.secret ? new Webhook(opts.secret) : undefined;
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      // A GET is someone checking that the receiver is up: answer without printing anything.
      res.writeHead(200, { 'content-type': 'text/plain' }).end('chat-webhooks dev receiver\n');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verdict = 'not checked (start with --secret to verify)';
      if (verifier) {
        try {
          verifier.verify(body, req.headers as Record<string, string>);
          verdict = 'valid';
        } catch (error) {
          verdict = `INVALID (${(error as Error).message})`;
        }
      }
      let pretty = body;
      try {
        pretty = JSON.stringify(JSON.parse(body), null, 2);
      } catch {
        // Not JSON: print it as it came.
      }
      process.stdout.write(
        `\n--- ${req.method} ${req.url} at ${new Date().toISOString()}\n` +
          `webhook-id: ${req.headers['webhook-id']}\nwebhook-timestamp: ${req.headers['webhook-timestamp']}\n` +
          `signature: ${verdict}\n${pretty}\n`,
      );
      res.writeHead(opts.status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: true }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
