import assert from 'node:assert/strict';
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
