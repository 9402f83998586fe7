/**
 * TEMPORAL_TLS_* against the Temporal server built here, configured for TLS and for mutual TLS with a CA and
 * certificates this file makes with openssl (test/helpers/certificates.ts):
 * - TLS: a client that trusts the CA (given as a file or inline) connects; one that trusts only the system's CAs, or
 *   speaks plain text, is refused.
 * - mTLS: the whole stack (migrate's search attributes and schedule, two processes' clients and workers) runs over
 *   it and delivers an event; a worker without a client certificate, or with one from another CA, stops at once
 *   with a message naming the address and how it connected, as does migrate.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';

import { createChatWebhooksClient, ok } from '../../src/client';
import { loadConfig } from '../../src/config';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { sdkConnectionOptions } from '../../src/temporal/connection-options';
import { type ProductionStack, startProductionStack } from '../../support/production-stack';
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates';

const run = promisify(execFile);
const START_TIMEOUT_MS = 30 * 60_000;
/** "Quickly": a refused connection must end well before any default timeout would hide a hang. */
const REFUSED_WITHIN_MS = 10_000;

let certs: TestCertificates;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-tls-'));

before(async () => {
  certs = await makeTestCertificates(path.join(workDir, 'certs'));
});
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

/** Connects with the security the config builds from these variables and asks for the server's system info. */
async function connectWith(address: string, env: Record<string, string>): Promise<void> {
  const { temporal } = loadConfig({ TEMPORAL_ADDRESS: address, ...env }, 'tool');
  const connection = await Connection.connect({
    ...sdkConnectionOptions(address, temporal.security),
    connectTimeout: 5_000,
  });
  try {
    await connection.workflowService.getSystemInfo({});
  } finally {
    await connection.close();
  }
}

async function refused(address: string, env: Record<string, string>): Promise<Error> {
  const started = Date.now();
  const error = await connectWith(address, env).then(
    () => assert.fail(`connected with ${JSON.stringify(Object.keys(env))}`),
    (e: Error) => e,
  );
  assert.ok(Date.now() - started < REFUSED_WITHIN_MS, `refused after ${Date.now() - started} ms`);
  return error;
}

describe('server TLS', () => {
  let stack: ProductionStack;
  before(
    async () => {
      stack = await startProductionStack({
        workDir: path.join(workDir, 'tls'),
        temporalOnly: true,
        ui: false,
        tls: { serverCert: certs.serverCert, serverKey: certs.serverKey, serverCa: certs.caCert },
      });
    },
    { timeout: START_TIMEOUT_MS },
  );
  after(() => stack?.stop());

  test('a client trusting the CA connects, given as a file or inline; others are refused quickly', async () => {
    const address = stack.temporalAddress;
    await connectWith(address, { TEMPORAL_TLS_CA: certs.caCert });
    await connectWith(address, { TEMPORAL_TLS_CA: fs.readFileSync(certs.caCert, 'utf8') });
    // The certificate names localhost and 127.0.0.1; a server name override is checked against it.
    await connectWith(address, { TEMPORAL_TLS_CA: certs.caCert, TEMPORAL_TLS_SERVER_NAME: 'localhost' });
    const wrongName = await refused(address, { TEMPORAL_TLS_CA: certs.caCert, TEMPORAL_TLS_SERVER_NAME: 'other.test' });
    assert.ok(wrongName.message.length > 0);
    // TLS on, but only the system's CAs: the test CA is not among them.
    await refused(address, { TEMPORAL_TLS: 'true' });
    // Plain text to a TLS port.
    await refused(address, {});
  });
});

describe('mutual TLS', () => {
  let stack: ProductionStack;
  let receiver: Receiver;
  before(
    async () => {
      receiver = await startReceiver();
      stack = await startProductionStack({
        workDir: path.join(workDir, 'mtls'),
        apis: 1,
        workers: 1,
        ui: false,
        tls: {
          serverCert: certs.serverCert,
          serverKey: certs.serverKey,
          serverCa: certs.caCert,
          clientCa: certs.caCert,
          clientCert: certs.clientCert,
          clientKey: certs.clientKey,
        },
        env: { ALLOW_HTTP_WEBHOOKS: 'true', DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8', PG_POOL_MAX: '3' },
      });
    },
    { timeout: START_TIMEOUT_MS },
  );
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  test('migrate, api and worker connect with the client certificate and deliver an event', async () => {
    // startProductionStack ran migrate over mTLS: its log says the search attributes and the schedule were set up.
    const migrateLog = fs.readFileSync(path.join(stack.workDir, 'logs', 'migrate.log'), 'utf8');
    assert.match(migrateLog, /search attributes registered/);
    assert.match(migrateLog, /retention schedule created/);
    const api = createChatWebhooksClient({ baseUrl: stack.apiUrls[0]!, apiKey: stack.adminApiKey });
    const app = ok(await api.POST('/v1/apps', { body: { name: 'mTLS App' } }));
    const hook = ok(
      await api.POST('/v1/apps/{app_id}/webhooks', {
        params: { path: { app_id: app.id } },
        body: { url: receiver.url, events: ['user_signup'] },
      }),
    );
    const sent = await api.POST('/v1/apps/{app_id}/events', {
      params: { path: { app_id: app.id } },
      body: { id: 'mtls-1', type: 'user_signup', user: { email: 'mtls@example.com', logged_in: true } },
    });
    assert.equal(sent.response.status, 202);
    const [request] = await receiver.waitForRequests(1, 60_000);
    const payload = new Webhook(hook.secret).verify(request!.body, request!.headers as Record<string, string>) as {
      user_email: string;
    };
    assert.equal(payload.user_email, 'mtls@example.com');

    await connectWith(stack.temporalAddress, {
      TEMPORAL_TLS_CA: certs.caCert,
      TEMPORAL_TLS_CERT: certs.clientCert,
      TEMPORAL_TLS_KEY: fs.readFileSync(certs.clientKey, 'utf8'),
    });
  });

  test(
    'without a client certificate, or with one from another CA, a worker and migrate stop at once and say why',
    {
      timeout: 120_000,
    },
    async () => {
      const bin = path.join(path.dirname(path.dirname(stack.env.WORKFLOW_BUNDLE_PATH!)), 'bin', 'chat-webhooks.js');
      for (const [what, override] of [
        ['no client certificate', { TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' }],
        [
          'a certificate from another CA',
          { TEMPORAL_TLS_CERT: certs.strangerCert, TEMPORAL_TLS_KEY: certs.strangerKey },
        ],
      ] as const) {
        for (const role of ['worker', 'migrate']) {
          const started = Date.now();
          const result = await run(process.execPath, [bin, role], {
            env: { PATH: process.env.PATH, ...stack.env, ...override },
            timeout: 60_000,
          }).then(
            () => assert.fail(`${role} with ${what} started`),
            (e: { code?: number; stderr?: string; killed?: boolean }) => e,
          );
          const elapsed = Date.now() - started;
          assert.equal(result.killed, false, `${role} with ${what} hung`);
          assert.equal(result.code, 1, `${role} with ${what}: ${result.stderr}`);
          assert.ok(elapsed < REFUSED_WITHIN_MS + 5_000, `${role} with ${what} took ${elapsed} ms`);
          assert.match(
            result.stderr ?? '',
            new RegExp(`chat-webhooks ${role}: could not connect to Temporal at ${stack.temporalAddress} over TLS`),
          );
          assert.match(
            result.stderr ?? '',
            what === 'no client certificate' ? /client certificate: none/ : /client certificate: TEMPORAL_TLS_CERT/,
          );
          // Neither the key nor the certificate itself is printed.
          assert.doesNotMatch(result.stderr ?? '', /BEGIN/);
        }
      }
      // A plain client of the same stack also cannot get in without a certificate.
      await refused(stack.temporalAddress, { TEMPORAL_TLS_CA: certs.caCert });
    },
  );
});
