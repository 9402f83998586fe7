/**
 * docker-compose.yml cannot be run here, so it is checked against the code it deploys: every production role gets
 * what PRODUCTION_REQUIREMENTS says it needs, every variable is one src/config.ts reads, hosts name real services, and
 * every `${VAR}` the file interpolates is documented in .env.example.
 *
 * Values are interpolated the way `docker compose` does (`${VAR}`, `${VAR:-default}`, `${VAR:?error}`, `$$`), with
 * .env.example as the .env file and test values for the secrets it leaves empty.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { parse } from 'yaml';

import { loadConfig, PRODUCTION_REQUIREMENTS } from '../../src/config';
import { parseDuration } from '../../src/domain/durations';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes';

const ROOT = path.resolve(__dirname, '../..');
const COMPOSE_TEXT = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const CONFIG_SOURCE = fs.readFileSync(path.join(ROOT, 'src/config.ts'), 'utf8');
const ENV_EXAMPLE_TEXT = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');

type Vars = Record<string, string | undefined>;
type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  ports?: string[];
  healthcheck?: { test?: string | string[] };
  stop_grace_period?: string;
};
type Compose = { services: Record<string, Service> };

const SECRETS = [
  'ADMIN_API_KEY',
  'SECRETS_KEY',
  'TEMPORAL_PAYLOAD_KEYS',
  'CODEC_API_KEY',
  'POSTGRES_PASSWORD',
] as const;

// --- Compose-style interpolation ------------------------------------------------------------------------------------

const INTERPOLATION =
  /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|-|:\?|\?)([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*)|(\{[^}]*\}?))/g;

/** Interpolates one string as docker compose does; throws for `${VAR:?msg}` when VAR is unset or empty. */
function interpolateString(text: string, vars: Vars, used: Set<string>): string {
  return text.replace(INTERPOLATION, (_m, dollar, braced, op, arg, bare, invalid) => {
    if (dollar) return '$';
    if (invalid !== undefined) throw new Error(`invalid interpolation "$${invalid}" in ${JSON.stringify(text)}`);
    const name: string = braced ?? bare;
    used.add(name);
    const value = vars[name];
    const unsetOrEmpty = value === undefined || value === '';
    switch (op as string | undefined) {
      case undefined:
        return value ?? '';
      case ':-':
        return unsetOrEmpty ? arg : value;
      case '-':
        return value === undefined ? arg : value;
      case ':?':
        if (unsetOrEmpty) throw new Error(`required variable ${name} is missing a value: ${arg}`);
        return value;
      case '?':
        if (value === undefined) throw new Error(`required variable ${name} is missing a value: ${arg}`);
        return value;
      default:
        throw new Error(`unexpected operator ${op}`);
    }
  });
}

/** Interpolates every string value (not keys, as compose does) of a parsed document. */
function interpolate<T>(node: T, vars: Vars, used: Set<string>): T {
  if (typeof node === 'string') return interpolateString(node, vars, used) as T;
  if (Array.isArray(node)) return node.map((item) => interpolate(item, vars, used)) as T;
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolate(v, vars, used)])) as T;
  }
  return node;
}

function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    assert.ok(match, `.env.example: cannot parse line ${JSON.stringify(line)}`);
    vars.set(match[1]!, match[2]!);
  }
  return vars;
}

function testSecrets(): Vars {
  return {
    ADMIN_API_KEY: `cwk_admin_${crypto.randomBytes(24).toString('base64url')}`,
    SECRETS_KEY: crypto.randomBytes(32).toString('base64'),
    TEMPORAL_PAYLOAD_KEYS: `k1:${crypto.randomBytes(32).toString('base64')}`,
    CODEC_API_KEY: crypto.randomBytes(24).toString('hex'),
    POSTGRES_PASSWORD: crypto.randomBytes(24).toString('hex'),
  };
}

/** .env.example as the .env file; secrets it leaves empty (as it should) get test values. */
function exampleVars(): Vars {
  const vars: Vars = Object.fromEntries(parseEnvFile(ENV_EXAMPLE_TEXT));
  for (const [name, value] of Object.entries(testSecrets())) {
    if (!vars[name]) vars[name] = value;
  }
  return vars;
}

const RAW: Compose = parse(COMPOSE_TEXT, { merge: true });
const VARS = exampleVars();
const USED = new Set<string>();
const COMPOSE: Compose = interpolate(RAW, VARS, USED);

// --- Helpers --------------------------------------------------------------------------------------------------------

function service(name: string, compose: Compose = COMPOSE): Service {
  const found = compose.services[name];
  assert.ok(found, `docker-compose.yml has no \`${name}\` service`);
  return found;
}

function commandOf(svc: Service): string | undefined {
  if (Array.isArray(svc.command)) return svc.command[0];
  return svc.command?.trim().split(/\s+/)[0];
}

/** The one service whose command is `role`. */
function serviceForRole(role: string, compose: Compose = COMPOSE): [string, Service] {
  const matches = Object.entries(compose.services).filter(([, svc]) => commandOf(svc) === role);
  assert.equal(
    matches.length,
    1,
    `expected exactly one service with command "${role}", found ${matches.map(([n]) => n).join(', ') || 'none'}`,
  );
  return matches[0]!;
}

/** The environment as a map of strings; compose's list form is refused so that values are easy to review. */
function environment(svc: Service, name: string): Record<string, string> {
  assert.ok(
    svc.environment && typeof svc.environment === 'object' && !Array.isArray(svc.environment),
    `${name}: environment must be a map`,
  );
  return Object.fromEntries(
    Object.entries(svc.environment).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]),
  );
}

function dependsOn(svc: Service, name: string): Record<string, string | undefined> {
  assert.ok(svc.depends_on && !Array.isArray(svc.depends_on), `${name}: depends_on must be a map with conditions`);
  return Object.fromEntries(Object.entries(svc.depends_on).map(([k, v]) => [k, v?.condition]));
}

const APP_ROLES = Object.keys(PRODUCTION_REQUIREMENTS) as (keyof typeof PRODUCTION_REQUIREMENTS)[];

// --- Tests ----------------------------------------------------------------------------------------------------------

test('docker-compose.yml has every service of the stack', () => {
  for (const name of ['postgres', 'temporal', 'temporal-setup', 'temporal-ui', 'migrate', 'api', 'worker']) {
    service(name);
  }
});

test('each production role has a service that sets every variable PRODUCTION_REQUIREMENTS lists', () => {
  assert.ok(APP_ROLES.length > 0);
  for (const role of APP_ROLES) {
    const [name, svc] = serviceForRole(role);
    const env = environment(svc, name);
    for (const variable of PRODUCTION_REQUIREMENTS[role]) {
      assert.ok(
        env[variable] !== undefined && env[variable].trim() !== '',
        `${name} (${role}) must set ${variable} to a non-empty value`,
      );
    }
  }
});

test('each role starts with its compose environment under the real config loader', () => {
  for (const role of APP_ROLES) {
    const [name, svc] = serviceForRole(role);
    const config = loadConfig(environment(svc, name), role);
    assert.equal(config.mode, 'production', name);
    assert.ok(config.db.url, `${name}: DATABASE_URL`);
  }
  const worker = loadConfig(environment(serviceForRole('worker')[1], 'worker'), 'worker');
  assert.equal(worker.delivery.allowHttp, false, 'the worker must refuse plain-http webhooks by default');
});

test('api and worker set only variables that src/config.ts reads', () => {
  for (const role of APP_ROLES) {
    const [name, svc] = serviceForRole(role);
    for (const variable of Object.keys(environment(svc, name))) {
      // A key of the zod env schema: `  NAME: z....` at the start of a line.
      const inSchema = new RegExp(`^\\s*${variable}:`, 'm').test(CONFIG_SOURCE);
      assert.ok(inSchema, `${name} sets ${variable}, which src/config.ts does not read (typo?)`);
    }
  }
});

test('the app image is built from the Dockerfile', () => {
  for (const role of APP_ROLES) {
    const [name, svc] = serviceForRole(role);
    assert.ok(svc.build, `${name} must be built from the Dockerfile`);
  }
  assert.ok(fs.existsSync(path.join(ROOT, 'Dockerfile')));
});

test('Temporal images are the official temporalio ones, pinned', () => {
  for (const name of ['temporal', 'temporal-setup', 'temporal-ui']) {
    const image = service(name).image ?? '';
    assert.ok(image.startsWith('temporalio/'), `${name}: ${image}`);
    assert.match(image, /:\d+\.\d+/, `${name}: pin a version tag, not ${image}`);
  }
  assert.match(service('temporal').image ?? '', /^temporalio\/auto-setup:/);
  assert.match(service('postgres').image ?? '', /^postgres:\d+/);
});

test('DATABASE_URL of api, worker and migrate points at the postgres service with its credentials', () => {
  const pgEnv = environment(service('postgres'), 'postgres');
  for (const role of APP_ROLES) {
    const [name, svc] = serviceForRole(role);
    const url = new URL(environment(svc, name).DATABASE_URL ?? '');
    assert.equal(url.hostname, 'postgres', `${name}: DATABASE_URL host`);
    assert.ok(COMPOSE.services[url.hostname], `${name}: no service named ${url.hostname}`);
    assert.equal(url.port || '5432', '5432', `${name}: DATABASE_URL port`);
    assert.equal(url.pathname, `/${pgEnv.POSTGRES_DB}`, `${name}: DATABASE_URL database`);
    assert.equal(decodeURIComponent(url.username), pgEnv.POSTGRES_USER, `${name}: DATABASE_URL user`);
    assert.equal(decodeURIComponent(url.password), pgEnv.POSTGRES_PASSWORD, `${name}: DATABASE_URL password`);
  }
  // Temporal uses the same server and account.
  const temporalEnv = environment(service('temporal'), 'temporal');
  assert.equal(temporalEnv.POSTGRES_SEEDS, 'postgres');
  assert.equal(temporalEnv.POSTGRES_USER, pgEnv.POSTGRES_USER);
  assert.equal(temporalEnv.POSTGRES_PWD, pgEnv.POSTGRES_PASSWORD);
});

test('TEMPORAL_ADDRESS everywhere points at the temporal service', () => {
  const users = [
    'temporal-setup',
    'temporal-ui',
    ...APP_ROLES.filter((r) => (PRODUCTION_REQUIREMENTS[r] as readonly string[]).includes('TEMPORAL_ADDRESS')).map(
      (r) => serviceForRole(r)[0],
    ),
  ];
  assert.ok(users.includes('api') && users.includes('worker'));
  for (const name of users) {
    const address = environment(service(name), name).TEMPORAL_ADDRESS ?? '';
    const [host, port] = address.split(':');
    assert.equal(host, 'temporal', `${name}: TEMPORAL_ADDRESS ${address}`);
    assert.equal(port, '7233', `${name}: TEMPORAL_ADDRESS ${address}`);
  }
});

test('api and worker agree on the Temporal namespace and task queue, and the namespace is the one Temporal creates', () => {
  const api = loadConfig(environment(service('api'), 'api'), 'api');
  const worker = loadConfig(environment(service('worker'), 'worker'), 'worker');
  assert.equal(api.temporal.namespace, worker.temporal.namespace);
  assert.equal(api.temporal.taskQueue, worker.temporal.taskQueue);
  assert.equal(environment(service('temporal'), 'temporal').DEFAULT_NAMESPACE ?? 'default', api.temporal.namespace);
  assert.equal(environment(service('temporal-setup'), 'temporal-setup').TEMPORAL_NAMESPACE, api.temporal.namespace);
});

test('temporal-setup registers every search attribute the workflows use, with its type', () => {
  const setup = service('temporal-setup');
  const script = [setup.entrypoint, setup.command]
    .flat()
    .filter((s): s is string => typeof s === 'string')
    .join('\n');
  assert.match(script, /temporal operator search-attribute create/);
  assert.match(script, /--type "\$\$type"|--type "\$type"/);
  assert.match(script, /already exists/, 'a second run must tolerate attributes that exist');
  assert.match(script, /temporal operator cluster health/, 'must wait for the server first');
  assert.ok(ALL_SEARCH_ATTRIBUTES.length > 0);
  const cliType: Record<string, string> = { KEYWORD: 'Keyword', KEYWORD_LIST: 'KeywordList' };
  for (const key of ALL_SEARCH_ATTRIBUTES) {
    assert.ok(cliType[key.type], `${key.name}: the test knows no CLI name for type ${key.type}`);
    assert.match(
      script,
      new RegExp(`\\b${key.name}:${cliType[key.type]}\\b`),
      `temporal-setup does not register ${key.name} as ${cliType[key.type]}`,
    );
  }
});

test('start order: schema and search attributes before api and worker, postgres healthy before its users', () => {
  for (const name of ['api', 'worker']) {
    const deps = dependsOn(service(name), name);
    assert.equal(deps.migrate, 'service_completed_successfully', `${name} must wait for migrate`);
    assert.equal(deps['temporal-setup'], 'service_completed_successfully', `${name} must wait for temporal-setup`);
  }
  for (const name of ['migrate', 'temporal']) {
    assert.equal(
      dependsOn(service(name), name).postgres,
      'service_healthy',
      `${name} must wait for a healthy postgres`,
    );
  }
  assert.ok(service('postgres').healthcheck?.test, 'postgres needs a healthcheck for service_healthy');
});

test('the api is published and health-checked on the port it listens on', () => {
  const api = loadConfig(environment(service('api'), 'api'), 'api');
  const ports = service('api').ports ?? [];
  assert.ok(
    ports.some((p) => String(p).split(':').at(-1) === String(api.http.port)),
    `no published port maps to ${api.http.port}: ${ports.join(', ')}`,
  );
  const check = [service('api').healthcheck?.test].flat().join(' ');
  assert.ok(check.includes(`:${api.http.port}/healthz`), `api healthcheck: ${check}`);
});

test('the worker gets longer than its SHUTDOWN_GRACE to stop', () => {
  const worker = loadConfig(environment(service('worker'), 'worker'), 'worker');
  const grace = parseDuration(service('worker').stop_grace_period ?? '10s');
  assert.equal(typeof grace, 'number');
  assert.ok((grace as number) > worker.shutdownGraceMs, `stop_grace_period must exceed ${worker.shutdownGraceMs} ms`);
});

test('every variable docker-compose.yml interpolates is listed in .env.example', () => {
  const listed = parseEnvFile(ENV_EXAMPLE_TEXT);
  assert.ok(USED.size > 0, 'expected docker-compose.yml to interpolate variables');
  const missing = [...USED].filter((name) => !listed.has(name)).sort();
  assert.deepEqual(missing, [], `.env.example lacks ${missing.join(', ')}`);
});

test('secrets come from the environment, are required, and have no real value in .env.example', () => {
  const listed = parseEnvFile(ENV_EXAMPLE_TEXT);
  for (const secret of SECRETS) {
    assert.ok(USED.has(secret), `docker-compose.yml should take ${secret} from the environment`);
    // Required-variable form everywhere it appears, so a missing secret stops `docker compose` with a message.
    const uses = [...COMPOSE_TEXT.matchAll(new RegExp(`\\$\\{${secret}([^}]*)\\}`, 'g'))].map((m) => m[1]);
    assert.ok(uses.length > 0);
    for (const use of uses) assert.match(use!, /^:\?\S/, `\${${secret}${use}} must be \${${secret}:?message}`);
    assert.equal(listed.get(secret), '', `.env.example must not ship a value for ${secret}`);

    const without: Vars = { ...VARS, [secret]: undefined };
    assert.throws(
      () => interpolate(RAW, without, new Set()),
      new RegExp(secret),
      `compose must refuse to start without ${secret}`,
    );
  }
  // No service hard-codes a secret.
  for (const [name, svc] of Object.entries(RAW.services)) {
    const env = svc.environment && !Array.isArray(svc.environment) ? svc.environment : {};
    for (const secret of [
      'ADMIN_API_KEY',
      'SECRETS_KEY',
      'TEMPORAL_PAYLOAD_KEYS',
      'CODEC_API_KEY',
      'POSTGRES_PASSWORD',
      'POSTGRES_PWD',
    ]) {
      if (env[secret] !== undefined)
        assert.match(String(env[secret]), /^\$\{[A-Z_]+:\?/, `${name}: ${secret} must be interpolated`);
    }
  }
});

test('the interpolation used by these tests behaves like compose', () => {
  const used = new Set<string>();
  const vars: Vars = { A: 'a', EMPTY: '' };
  assert.equal(interpolateString('x${A}y$$A${B:-b}${EMPTY:-e}${EMPTY-e}', vars, used), 'xay$Abe');
  assert.deepEqual([...used].sort(), ['A', 'B', 'EMPTY']);
  assert.throws(() => interpolateString('${EMPTY:?need it}', vars, used), /EMPTY.*need it/);
  assert.equal(interpolateString('${EMPTY?need it}', vars, used), '');
  assert.throws(() => interpolateString('${B?need it}', vars, used), /B/);
});
