/**
 * The production stack of `npm run stack` (support/production-stack.ts), for real: its own Postgres, the Temporal
 * server built from its Go module on Postgres persistence and visibility, the UI server, migrate, two api and two
 * worker processes from the production build. Events go in through both APIs, both workers take work, every
 * delivery's signature verifies, and visibility on Postgres finds the workflows by the search attributes migrate
 * registered.
 *
 * The first run on a machine builds the Go binaries (minutes); later runs take them from ~/.cache/chat-webhooks/go.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';

import { createChatWebhooksClient, ok } from '../../src/client';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { WorkflowType } from '../../src/temporal/contracts';
import { findLeaks, payloadKeyMaterial } from '../../support/log-leaks';
import {
  DEPLOY_DIR,
  ensureGoBinaries,
  type ProductionStack,
  startProductionStack,
} from '../../support/production-stack';

let stack: ProductionStack;
let receiver: Receiver;

// Go builds on a fresh machine take several minutes; a cached start about half a minute.
const START_TIMEOUT_MS = 30 * 60_000;

before(
  async () => {
    receiver = await startReceiver();
    stack = await startProductionStack({
      apis: 2,
      workers: 2,
      env: { ALLOW_HTTP_WEBHOOKS: 'true', DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8', PG_POOL_MAX: '4' },
    });
  },
  { timeout: START_TIMEOUT_MS },
);
after(async () => {
  await stack?.stop();
  await receiver?.close();
});

test(
  'events through both api processes are delivered by both workers, signed, and found by visibility on Postgres',
  {
    timeout: 5 * 60_000,
  },
  async () => {
    const [api1, api2] = stack.apiUrls.map((baseUrl) =>
      createChatWebhooksClient({ baseUrl, apiKey: stack.adminApiKey }),
    ) as [ReturnType<typeof createChatWebhooksClient>, ReturnType<typeof createChatWebhooksClient>];
    const app = ok(await api1.POST('/v1/apps', { body: { name: 'Stack App' } }));
    const hook = ok(
      await api2.POST('/v1/apps/{app_id}/webhooks', {
        params: { path: { app_id: app.id } },
        body: { url: receiver.url, events: ['user_signup'] },
      }),
    );
    receiver.setSecrets([hook.secret]);

    const count = 24;
    for (let i = 0; i < count; i++) {
      const api = i % 2 === 0 ? api1 : api2;
      const sent = await api.POST('/v1/apps/{app_id}/events', {
        params: { path: { app_id: app.id } },
        body: { id: `signup-${i}`, type: 'user_signup', user: { email: `user${i}@example.com`, logged_in: true } },
      });
      assert.equal(sent.response.status, 202, JSON.stringify(sent.error));
    }

    const requests = await receiver.waitForRequests(count, 120_000);
    const webhook = new Webhook(hook.secret);
    const emails = new Set<string>();
    for (const request of requests) {
      assert.equal(request.signature, 'valid');
      const payload = webhook.verify(request.body, request.headers as Record<string, string>) as Record<
        string,
        unknown
      >;
      assert.equal(payload.event, 'New user signup');
      emails.add(String(payload.user_email));
    }
    assert.equal(emails.size, count, 'every event delivered once');

    // Each API accepted its half.
    for (const url of stack.apiUrls) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, new RegExp(`chat_webhooks_events_accepted_total\\{type="user_signup"\\} ${count / 2}\\b`));
    }

    // Visibility on Postgres, queried by a search attribute migrate registered; the histories say who did the work.
    const connection = await Connection.connect({ address: stack.temporalAddress });
    try {
      const client = new Client({ connection, namespace: stack.namespace });
      let listed: string[] = [];
      for (let i = 0; i < 60 && listed.length < count; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 500));
        listed = [];
        for await (const wf of client.workflow.list({
          query: `WorkflowType = '${WorkflowType.chatEvent}' AND AppId = '${app.id}' AND ExecutionStatus = 'Completed'`,
        }))
          listed.push(wf.workflowId);
      }
      assert.equal(listed.length, count, 'every chat-event workflow completed and is listed by AppId');
      const identities = new Set<string>();
      for (const id of listed) {
        const history = await client.workflow.getHandle(id).fetchHistory();
        for (const event of history.events ?? []) {
          const identity =
            event.activityTaskStartedEventAttributes?.identity ?? event.workflowTaskStartedEventAttributes?.identity;
          if (identity) identities.add(identity);
        }
      }
      const workerPids = stack.processes.workers.map((w) => String(w.pid));
      const byWorker = workerPids.map((pid) => [...identities].some((identity) => identity.startsWith(`${pid}@`)));
      assert.deepEqual(byWorker, [true, true], `both workers took tasks (identities: ${[...identities].join(', ')})`);
    } finally {
      await connection.close();
    }

    // The UI server is up and reads this server.
    const namespaces = await (await fetch(`${stack.uiUrl}/api/v1/namespaces`)).json();
    assert.ok(
      (namespaces as { namespaces: Array<{ namespaceInfo: { name: string } }> }).namespaces.some(
        (n) => n.namespaceInfo.name === stack.namespace,
      ),
    );

    // Nothing personal or secret in any line the api and worker processes printed.
    const lines = [...stack.processes.apis, ...stack.processes.workers].flatMap((p) =>
      fs.readFileSync(p.logFile, 'utf8').split('\n'),
    );
    const leaks = findLeaks(lines, [
      { what: "a user's email", value: /user\d+@example\.com/ },
      { what: 'the admin key', value: stack.adminApiKey },
      { what: 'SECRETS_KEY', value: stack.env.SECRETS_KEY! },
      { what: 'a signing secret', value: hook.secret.slice('whsec_'.length) },
      ...payloadKeyMaterial(stack.env.TEMPORAL_PAYLOAD_KEYS!).map((k) => ({ what: 'a payload key', value: k })),
    ]);
    assert.deepEqual(leaks, []);
    assert.deepEqual(stack.unexpectedExits(), []);
  },
);

test('the server knows every dynamic config key the stack and docker-compose set (fairness included)', async () => {
  const { server } = await ensureGoBinaries();
  const { stdout, stderr } = await promisify(execFile)(server, [
    'validate-dynamic-config',
    path.join(DEPLOY_DIR, 'dynamic-config.yaml'),
  ]);
  // A misspelled or unknown key is only a warning to the server, which would then ignore it.
  assert.doesNotMatch(stdout + stderr, /warning|error/i, stdout + stderr);
});
