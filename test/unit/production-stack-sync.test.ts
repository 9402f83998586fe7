/**
 * docker-compose.yml and `npm run stack` (support/production-stack.ts) describe one topology: the same Temporal server,
 * admin tools and UI versions, the same server configuration, dynamic config and schema script (deploy/temporal/), and
 * the same namespace retention. This keeps them in step.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { parse } from 'yaml';

import {
  DEPLOY_DIR,
  NAMESPACE_RETENTION_HOURS,
  STACK_VERSIONS,
  WORKER_DEPLOYMENT,
} from '../../support/production-stack';

const ROOT = path.resolve(__dirname, '../..');
type Service = {
  image?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown>;
  volumes?: string[];
};
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const service = (name: string): Service => {
  const svc = compose.services[name];
  assert.ok(svc, `docker-compose.yml has no ${name} service`);
  return svc;
};
const script = (svc: Service) =>
  [svc.entrypoint, svc.command]
    .flat()
    .filter((s): s is string => typeof s === 'string')
    .join('\n');
const MOUNT = '/etc/temporal/chat-webhooks';

test('compose runs the server, admin tools and UI versions the stack builds', () => {
  assert.equal(service('temporal').image, `temporalio/server:${STACK_VERSIONS.temporalServer}`);
  assert.equal(service('temporal-schema').image, `temporalio/admin-tools:${STACK_VERSIONS.temporalServer}`);
  assert.equal(service('temporal-setup').image, `temporalio/admin-tools:${STACK_VERSIONS.temporalServer}`);
  assert.equal(service('temporal-ui').image, `temporalio/ui:${STACK_VERSIONS.temporalUi}`);
});

test('compose mounts deploy/temporal and starts the server with its config file and dynamic config', () => {
  for (const name of ['temporal', 'temporal-schema']) {
    assert.ok(service(name).volumes?.includes(`./deploy/temporal:${MOUNT}:ro`), `${name} mounts deploy/temporal`);
  }
  assert.match(script(service('temporal')), new RegExp(`temporal-server --config-file ${MOUNT}/server\\.yaml`));
  assert.equal(service('temporal').environment?.TEMPORAL_DYNAMIC_CONFIG, `${MOUNT}/dynamic-config.yaml`);
  assert.match(script(service('temporal-schema')), new RegExp(`${MOUNT}/setup-schema\\.sh`));
  for (const file of ['server.yaml', 'dynamic-config.yaml', 'setup-schema.sh'])
    assert.ok(fs.existsSync(path.join(DEPLOY_DIR, file)), `deploy/temporal/${file}`);
  // The stack starts the server with the same files (support/production-stack.ts).
  const stackSource = fs.readFileSync(path.join(ROOT, 'support', 'production-stack.ts'), 'utf8');
  for (const file of ['server.yaml', 'dynamic-config.yaml', 'setup-schema.sh'])
    assert.match(stackSource, new RegExp(`path\\.join\\(DEPLOY_DIR, '${file.replace('.', '\\.')}'\\)`), file);
});

test('every variable the server config reads is set by compose, or has a default there', () => {
  const template = fs.readFileSync(path.join(DEPLOY_DIR, 'server.yaml'), 'utf8');
  assert.match(template.slice(0, 1024), /# enable-template/, 'the server renders it only with this marker');
  const reads = [...template.matchAll(/env "([A-Z][A-Z_]+)"( \| default)?/g)];
  assert.ok(reads.length > 10);
  const composeEnv = service('temporal').environment ?? {};
  for (const [, name, hasDefault] of reads) {
    const optional = hasDefault || name!.startsWith('TEMPORAL_TLS_') || name === 'TEMPORAL_BROADCAST_ADDRESS';
    assert.ok(optional || name! in composeEnv, `compose's temporal service must set ${name}`);
  }
  for (const name of Object.keys(composeEnv))
    assert.ok(
      reads.some(([, read]) => read === name),
      `compose sets ${name}, which server.yaml does not read`,
    );
});

test('the dynamic config turns task-queue fairness on', () => {
  const dynamic = parse(fs.readFileSync(path.join(DEPLOY_DIR, 'dynamic-config.yaml'), 'utf8')) as Record<
    string,
    Array<{ value: unknown }>
  >;
  assert.deepEqual(dynamic['matching.enableFairness'], [{ value: true }]);
});

test('both register the namespace with the same retention', () => {
  assert.match(script(service('temporal-setup')), new RegExp(`--retention ${NAMESPACE_RETENTION_HOURS}h\\b`));
});

test('both run versioned workers in the same Worker Deployment', () => {
  // ${TEMPORAL_WORKER_DEPLOYMENT-chat-webhooks}: the stack's name unless the operator sets another (or none).
  const value = String(service('worker').environment?.TEMPORAL_WORKER_DEPLOYMENT);
  assert.equal(value, `\${TEMPORAL_WORKER_DEPLOYMENT-${WORKER_DEPLOYMENT}}`);
  const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
  assert.match(example, new RegExp(`^TEMPORAL_WORKER_DEPLOYMENT=${WORKER_DEPLOYMENT}$`, 'm'));
  assert.equal(String(service('worker').environment?.TEMPORAL_WORKER_PROMOTE), '${TEMPORAL_WORKER_PROMOTE:-auto}');
});
