import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';

import { ConfigError, loadConfig, PRODUCTION_REQUIREMENTS } from '../../src/config';

describe('config', () => {
  test('dev defaults are usable without any variable', () => {
    const config = loadConfig({}, 'dev');
    assert.equal(config.mode, 'dev');
    assert.equal(config.http.port, 3000);
    assert.equal(config.temporal.namespace, 'default');
    assert.equal(config.temporal.taskQueue, 'chat-webhooks');
    assert.equal(config.temporal.uiPort, 8233);
    assert.equal(config.dataDir, '.data');
    assert.equal(config.delivery.timeoutMs, 15_000);
    assert.deepEqual(
      config.delivery.retryScheduleMs,
      [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
    );
    assert.equal(config.delivery.allowHttp, true);
    assert.deepEqual(config.delivery.allowedCidrs, ['127.0.0.0/8', '::1/128']);
  });

  test('production refuses to start without what each role needs, naming every missing value', () => {
    for (const [role, names] of Object.entries(PRODUCTION_REQUIREMENTS)) {
      assert.throws(
        () => loadConfig({}, role as keyof typeof PRODUCTION_REQUIREMENTS),
        (error: unknown) => error instanceof ConfigError && names.every((n) => error.message.includes(n)),
        role,
      );
    }
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production' }, 'dev'),
      /DATABASE_URL.*TEMPORAL_ADDRESS.*ADMIN_API_KEY.*SECRETS_KEY.*TEMPORAL_PAYLOAD_KEYS/,
    );
  });

  test('production defaults are strict', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'postgres://u:p@db/x',
        TEMPORAL_ADDRESS: 't:7233',
        ADMIN_API_KEY: 'k'.repeat(32),
        SECRETS_KEY: 'x',
        TEMPORAL_PAYLOAD_ENCRYPTION: 'off',
      },
      'api',
    );
    assert.equal(config.mode, 'production');
    assert.equal(config.delivery.allowHttp, false);
    assert.deepEqual(config.delivery.allowedCidrs, []);
    assert.equal(config.http.host, '0.0.0.0');
  });

  test('bad values are refused with the variable named', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }, 'dev'), /PORT/);
    assert.throws(() => loadConfig({ RETRY_SCHEDULE: '5s,soon' }, 'dev'), /RETRY_SCHEDULE: "soon" is not a duration/);
    assert.throws(() => loadConfig({ ALLOW_HTTP_WEBHOOKS: 'maybe' }, 'dev'), /ALLOW_HTTP_WEBHOOKS/);
    assert.throws(() => loadConfig({ ADMIN_API_KEY: 'short' }, 'dev'), /ADMIN_API_KEY must be at least 16 characters/);
  });

  test('worker tuning: set variables become SDK options, unset ones stay absent', () => {
    const config = loadConfig(
      {
        WORKER_MAX_CONCURRENT_ACTIVITIES: '50',
        WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '7',
        WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
        WORKER_MAX_CACHED_WORKFLOWS: '400',
      },
      'dev',
    );
    assert.deepEqual(config.worker.tuning, {
      maxConcurrentActivityTaskExecutions: 50,
      maxConcurrentLocalActivityExecutions: 7,
      maxConcurrentWorkflowTaskExecutions: 20,
      maxCachedWorkflows: 400,
    });
    // Absent, not `undefined`: the tuning is spread over the SDK's defaults.
    assert.deepEqual(Object.keys(loadConfig({}, 'dev').worker.tuning), []);
    assert.deepEqual(
      Object.keys(
        loadConfig({ WORKER_MAX_CONCURRENT_ACTIVITIES: '', WORKER_MAX_CACHED_WORKFLOWS: '' }, 'dev').worker.tuning,
      ),
      [],
    );
    assert.deepEqual(loadConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '8' }, 'dev').worker.tuning, {
      maxConcurrentWorkflowTaskExecutions: 8,
    });
  });

  test('worker versioning: off unless TEMPORAL_WORKER_DEPLOYMENT is set; build id and promotion need it', () => {
    assert.equal(loadConfig({}, 'dev').worker.versioning, undefined);
    // Empty means unset, as in compose: `TEMPORAL_WORKER_DEPLOYMENT=` runs unversioned workers.
    assert.equal(loadConfig({ TEMPORAL_WORKER_DEPLOYMENT: '' }, 'dev').worker.versioning, undefined);
    assert.deepEqual(loadConfig({ TEMPORAL_WORKER_DEPLOYMENT: 'chat-webhooks' }, 'dev').worker.versioning, {
      deploymentName: 'chat-webhooks',
      buildId: undefined,
      promote: 'auto',
    });
    assert.deepEqual(
      loadConfig(
        { TEMPORAL_WORKER_DEPLOYMENT: 'cw', TEMPORAL_WORKER_BUILD_ID: 'v1.4.0+abc', TEMPORAL_WORKER_PROMOTE: 'manual' },
        'dev',
      ).worker.versioning,
      { deploymentName: 'cw', buildId: 'v1.4.0+abc', promote: 'manual' },
    );
    assert.throws(
      () => loadConfig({ TEMPORAL_WORKER_BUILD_ID: 'v2' }, 'dev'),
      /TEMPORAL_WORKER_BUILD_ID need TEMPORAL_WORKER_DEPLOYMENT/,
    );
    assert.throws(
      () => loadConfig({ TEMPORAL_WORKER_PROMOTE: 'manual' }, 'dev'),
      /TEMPORAL_WORKER_PROMOTE need TEMPORAL_WORKER_DEPLOYMENT/,
    );
  });

  test('worker versioning refuses names and build ids the server would refuse, naming the variable', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['TEMPORAL_WORKER_DEPLOYMENT', 'chat.webhooks', /TEMPORAL_WORKER_DEPLOYMENT: .*cannot contain \. or :/],
      ['TEMPORAL_WORKER_DEPLOYMENT', 'chat:webhooks', /TEMPORAL_WORKER_DEPLOYMENT: .*cannot contain \. or :/],
      ['TEMPORAL_WORKER_DEPLOYMENT', '__system', /TEMPORAL_WORKER_DEPLOYMENT: .*cannot start with __/],
      ['TEMPORAL_WORKER_BUILD_ID', '__v1', /TEMPORAL_WORKER_BUILD_ID: .*cannot start with __/],
      ['TEMPORAL_WORKER_BUILD_ID', 'x'.repeat(481), /TEMPORAL_WORKER_BUILD_ID: /],
      ['TEMPORAL_WORKER_PROMOTE', 'sometimes', /TEMPORAL_WORKER_PROMOTE: /],
    ];
    for (const [name, value, message] of bad) {
      assert.throws(
        () => loadConfig({ TEMPORAL_WORKER_DEPLOYMENT: 'chat-webhooks', [name]: value }, 'dev'),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
        `${name}=${value}`,
      );
    }
    // A build id may hold dots and colons (image tags, versions); only the deployment name may not.
    assert.equal(
      loadConfig({ TEMPORAL_WORKER_DEPLOYMENT: 'cw', TEMPORAL_WORKER_BUILD_ID: 'registry:5000/app:1.2.3' }, 'dev')
        .worker.versioning?.buildId,
      'registry:5000/app:1.2.3',
    );
  });

  test('worker tuning refuses anything but a positive integer, naming the variable', () => {
    const names = [
      'WORKER_MAX_CONCURRENT_ACTIVITIES',
      'WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES',
      'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS',
      'WORKER_MAX_CACHED_WORKFLOWS',
    ];
    for (const name of names) {
      for (const value of ['0', '-1', 'abc', '1.5']) {
        assert.throws(
          () => loadConfig({ [name]: value }, 'dev'),
          (error: unknown) => error instanceof ConfigError && new RegExp(`^  ${name}: `, 'm').test(error.message),
          `${name}=${value}`,
        );
      }
    }
  });

  test('empty strings count as unset, and short retry schedules parse', () => {
    const config = loadConfig({ DATABASE_URL: '', RETRY_SCHEDULE: '1s,500ms', ALLOW_HTTP_WEBHOOKS: 'false' }, 'dev');
    assert.equal(config.db.url, undefined);
    assert.deepEqual(config.delivery.retryScheduleMs, [1_000, 500]);
    assert.equal(config.delivery.allowHttp, false);
  });

  test('portal frame ancestors: origins and keywords pass, anything that could bend the policy is refused', () => {
    assert.deepEqual(loadConfig({}, 'dev').portal.frameAncestors, ["'self'", 'http://127.0.0.1:3001']);
    assert.deepEqual(loadConfig({ PORTAL_EXAMPLE_PORT: '0' }, 'dev').portal.frameAncestors, ["'self'"]);
    assert.deepEqual(
      loadConfig({ PORTAL_FRAME_ANCESTORS: "'self', https://app.example.com  https://*.example.com:8443" }, 'dev')
        .portal.frameAncestors,
      ["'self'", 'https://app.example.com', 'https://*.example.com:8443'],
    );
    for (const value of [
      "https://app.example.com; script-src 'unsafe-inline'",
      'https://app.example.com/settings',
      'javascript:alert(1)',
      "'none' https://app.example.com",
    ]) {
      assert.throws(
        () => loadConfig({ PORTAL_FRAME_ANCESTORS: value }, 'dev'),
        (error: unknown) => error instanceof ConfigError && /PORTAL_FRAME_ANCESTORS/.test(error.message),
        value,
      );
    }
  });
});

describe('Temporal TLS, mTLS and API key', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-tls-'));
  const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
  const certFile = path.join(dir, 'client.pem');
  const keyFile = path.join(dir, 'client.key');
  const apiKeyFile = path.join(dir, 'api-key');
  fs.writeFileSync(certFile, CERT);
  fs.writeFileSync(keyFile, KEY);
  fs.writeFileSync(apiKeyFile, 'cloud-key-from-file\n');
  const security = (env: Record<string, string>) => loadConfig(env, 'tool').temporal.security;
  const productionWorker = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
    TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
    SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
    TEMPORAL_PAYLOAD_ENCRYPTION: 'off',
  };

  test('plain text unless something asks for TLS', () => {
    assert.deepEqual(security({}), { tls: undefined, apiKey: undefined });
    assert.deepEqual(security({ TEMPORAL_TLS: 'true' }).tls, {});
  });

  test('certificates, keys and CAs are PEMs given inline or as files', () => {
    const fromFiles = security({ TEMPORAL_TLS_CERT: certFile, TEMPORAL_TLS_KEY: keyFile, TEMPORAL_TLS_CA: certFile });
    assert.equal(fromFiles.tls?.clientCert?.cert.toString(), CERT);
    assert.equal(fromFiles.tls?.clientCert?.key.toString(), KEY);
    assert.equal(fromFiles.tls?.ca?.toString(), CERT);
    const inline = security({ TEMPORAL_TLS_CERT: CERT, TEMPORAL_TLS_KEY: KEY, TEMPORAL_TLS_SERVER_NAME: 'tmprl.test' });
    assert.equal(inline.tls?.clientCert?.cert.toString(), CERT);
    assert.equal(inline.tls?.serverName, 'tmprl.test');
  });

  test('an API key turns TLS on with the system CAs; it may come from a file', () => {
    assert.deepEqual(security({ TEMPORAL_API_KEY: 'cloud-key' }), { tls: {}, apiKey: 'cloud-key' });
    assert.equal(security({ TEMPORAL_API_KEY: apiKeyFile }).apiKey, 'cloud-key-from-file');
    // Explicitly off stays off (a local proxy that terminates TLS).
    assert.equal(security({ TEMPORAL_API_KEY: 'cloud-key', TEMPORAL_TLS: 'false' }).tls, undefined);
  });

  test('half a pair, a missing file, a file that is no PEM, or TLS off with TLS settings are start-up errors', () => {
    const fails = (env: Record<string, string>, message: RegExp) =>
      assert.throws(
        () => loadConfig({ ...productionWorker, ...env }, 'worker'),
        (e: Error) => {
          assert.ok(e instanceof ConfigError);
          assert.match(e.message, message);
          return true;
        },
      );
    fails({ TEMPORAL_TLS_CERT: certFile }, /TEMPORAL_TLS_CERT is set without TEMPORAL_TLS_KEY/);
    fails({ TEMPORAL_TLS_KEY: keyFile }, /TEMPORAL_TLS_KEY is set without TEMPORAL_TLS_CERT/);
    fails(
      { TEMPORAL_TLS_CERT: path.join(dir, 'missing.pem'), TEMPORAL_TLS_KEY: keyFile },
      /TEMPORAL_TLS_CERT: not a PEM, and not a readable file \(ENOENT\)/,
    );
    fails({ TEMPORAL_TLS_CA: apiKeyFile }, /TEMPORAL_TLS_CA: holds no PEM certificate/);
    // A certificate where the key belongs.
    fails({ TEMPORAL_TLS_CERT: certFile, TEMPORAL_TLS_KEY: certFile }, /TEMPORAL_TLS_KEY: holds no PEM private key/);
    fails({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: certFile }, /TEMPORAL_TLS=false, but/);
    fails({ TEMPORAL_API_KEY: path.join(dir, 'nope') }, /TEMPORAL_API_KEY: cannot read/);
  });

  test('the error never holds the PEM itself', () => {
    assert.throws(
      () => loadConfig({ TEMPORAL_TLS_CERT: CERT.replace('CERTIFICATE', 'PUBLIC KEY'), TEMPORAL_TLS_KEY: KEY }, 'tool'),
      (e: Error) => !e.message.includes('MIIB') && /TEMPORAL_TLS_CERT/.test(e.message),
    );
  });
});
