/**
 * The OpenAPI document: valid OpenAPI 3.1, in step with the routes the app really registers, with request schemas
 * that accept and refuse what the routes' zod schemas do, and served (with its reference page) without a network.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import express from 'express';
import type { z } from 'zod';

import { type ApiDeps, createApp } from '../../src/api/app';
import {
  appSchema,
  appWithKeySchema,
  buildOpenApiDocument,
  createDocsRouter,
  webhookSchema,
  webhookWithSecretSchema,
} from '../../src/api/openapi';
import { appJson, createAppBodySchema, updateAppBodySchema } from '../../src/api/routes/apps';
import { createWebhookBodySchema, updateWebhookBodySchema, webhookJson } from '../../src/api/routes/webhooks';
import type { AppRow } from '../../src/db/queries/apps';
import type { WebhookRow } from '../../src/db/queries/webhooks';
import { chatEventBodySchema } from '../../src/domain/event-body';
import { VERSION } from '../../src/version';

// ---------------------------------------------------------------------------------------------------------------
// Compile-time: the response schemas describe exactly what appJson/webhookJson return. A field added to or dropped
// from either function fails `tsc` here until the schema in src/api/openapi/ follows.
// ---------------------------------------------------------------------------------------------------------------
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const appShapeMatches: Same<z.output<typeof appSchema>, ReturnType<typeof appJson>> = true;
const webhookShapeMatches: Same<z.output<typeof webhookSchema>, ReturnType<typeof webhookJson>> = true;
void appShapeMatches;
void webhookShapeMatches;

type Doc = ReturnType<typeof buildOpenApiDocument>;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Every operation of the document, as `METHOD /path` with OpenAPI's `{param}` syntax. */
function documentedOperations(doc: Doc): string[] {
  const ops: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) if (item[method]) ops.push(`${method.toUpperCase()} ${path}`);
  }
  return ops.sort();
}

// ---------------------------------------------------------------------------------------------------------------
// The routes the real app registers, read from express 5's router stack.
//
// Express 5 (router 2.x) keeps, on each layer, `route` (for app.get/router.post...: `route.path` and
// `route.methods`) or, for `use`, the mounted handler: a nested router exposes its own `stack`. The mount path is
// `layer.rawPath` (router >= 2.3; earlier versions keep only compiled matchers, and this walker then fails loudly
// rather than guess). Plain middleware (auth, body parser, 404, error handler) registers no route and is skipped.
// ---------------------------------------------------------------------------------------------------------------
interface StackLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
  handle: unknown;
}

function isRouter(handle: unknown): handle is { stack: StackLayer[] } {
  return typeof handle === 'function' && Array.isArray((handle as { stack?: unknown }).stack);
}

function joinPaths(prefix: string, path: unknown, where: string): string {
  if (typeof path !== 'string') {
    throw new Error(
      `${where}: the layer's path is ${path === undefined ? 'not exposed (layer.rawPath needs router >= 2.3)' : `not a string (${String(path)})`}; ` +
        'extend the walker in test/unit/openapi.test.ts',
    );
  }
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** `/v1/apps/:app_id` to `/v1/apps/{app_id}`; any other path syntax (wildcards, optional groups) is refused. */
function toOpenApiPath(expressPath: string): string {
  const converted = expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
  if (/[*?()[\]\\]|\{(?![A-Za-z_][A-Za-z0-9_]*\})/.test(converted)) {
    throw new Error(`route ${expressPath} uses path syntax the OpenAPI mapping in this test does not handle`);
  }
  return converted;
}

function registeredOperations(app: express.Express): string[] {
  const ops = new Set<string>();
  const walk = (stack: StackLayer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = toOpenApiPath(joinPaths(prefix, layer.route.path, `route under ${prefix || '/'}`));
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (!on) continue;
          if (method === '_all') throw new Error(`${path} is registered with .all(): document its methods one by one`);
          ops.add(`${method.toUpperCase()} ${path}`);
        }
      } else if (isRouter(layer.handle)) {
        walk(layer.handle.stack, joinPaths(prefix, layer.rawPath, `router mounted under ${prefix || '/'}`));
      }
    }
  };
  walk((app as unknown as { router: { stack: StackLayer[] } }).router.stack, '');
  return [...ops].sort();
}

/** The docs router's own routes are the document's delivery, not part of the API it describes. */
const isDocsRoute = (op: string) => / \/openapi\.json$| \/docs(\/|$)/.test(op);

/**
 * createApp only builds routers: each dependency is captured in a closure and first used when a request arrives, so
 * empty stand-ins are enough to read its routes. (If createApp ever uses a dependency while building, this fails
 * with a TypeError here, not silently.)
 */
function appWithoutDependencies(): express.Express {
  return createApp({} as ApiDeps);
}

describe('OpenAPI document', () => {
  test('is OpenAPI 3.1 and valid against the 3.1 schema, with every $ref resolvable', async () => {
    const doc = buildOpenApiDocument();
    assert.match(doc.openapi, /^3\.1\./);
    assert.equal(doc.info.version, VERSION);
    assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
    assert.deepEqual(doc.components?.securitySchemes?.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      description: (doc.components?.securitySchemes?.bearerAuth as { description?: string }).description,
    });

    // ESM-only package: loaded with import(), which CommonJS keeps as a real dynamic import.
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    assert.equal(result.valid, true, `invalid OpenAPI document: ${JSON.stringify(result.errors, null, 2)}`);
    assert.equal(validator.version, '3.1');
    assert.doesNotThrow(() => validator.resolveRefs(), 'every $ref resolves');
  });

  test('every schema in it is a valid JSON Schema 2020-12 schema (the 3.1 dialect)', () => {
    const doc = buildOpenApiDocument();
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    const schemas: [string, unknown][] = Object.entries(doc.components?.schemas ?? {}).map(([k, v]) => [
      `components.schemas.${k}`,
      v,
    ]);
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (!op) continue;
        for (const p of (op.parameters ?? []) as { name: string; schema?: unknown }[])
          schemas.push([`${method} ${path} param ${p.name}`, p.schema]);
        for (const [code, r] of Object.entries(op.responses ?? {}) as [
          string,
          { content?: Record<string, { schema?: unknown }> },
        ][]) {
          for (const media of Object.values(r.content ?? {})) schemas.push([`${method} ${path} ${code}`, media.schema]);
        }
      }
    }
    assert.ok(schemas.length > 20);
    for (const [where, schema] of schemas) {
      assert.equal(ajv.validateSchema(schema as object), true, `${where}: ${ajv.errorsText(ajv.errors)}`);
    }
  });

  test('documents every route the app registers, and no route it does not', () => {
    const registered = registeredOperations(appWithoutDependencies()).filter((op) => !isDocsRoute(op));
    const documented = documentedOperations(buildOpenApiDocument());

    // A walker that found nothing would make the comparison pass for the wrong reason.
    assert.ok(registered.includes('POST /v1/apps/{app_id}/events'), `walker found: ${registered.join(', ')}`);
    assert.ok(registered.includes('GET /healthz'));

    const undocumented = registered.filter((op) => !documented.includes(op));
    const phantom = documented.filter((op) => !registered.includes(op));
    assert.deepEqual(undocumented, [], `registered but not in the OpenAPI document (add them in src/api/openapi/)`);
    assert.deepEqual(phantom, [], `in the OpenAPI document but not registered by createApp`);
  });

  test('each operation has a unique operationId, declares its path parameters, and /v1 needs the bearer key', () => {
    const doc = buildOpenApiDocument();
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (!op) continue;
        assert.ok(op.operationId, `${method} ${path} has an operationId`);
        assert.ok(!ids.has(op.operationId), `operationId ${op.operationId} is unique`);
        ids.add(op.operationId);
        const declared = ((op.parameters ?? []) as { in: string; name: string; required?: boolean }[])
          .filter((p) => p.in === 'path')
          .map((p) => {
            assert.equal(p.required, true, `${method} ${path}: path parameter ${p.name} is required`);
            return p.name;
          })
          .sort();
        const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!).sort();
        assert.deepEqual(declared, inTemplate, `${method} ${path} declares its path parameters`);
        if (path.startsWith('/v1/')) {
          assert.equal(op.security, undefined, `${method} ${path} keeps the document-wide bearer security`);
          assert.ok(op.responses?.['401'], `${method} ${path} documents 401`);
        } else {
          assert.deepEqual(op.security, [], `${method} ${path} needs no key`);
        }
      }
    }
  });

  test('documents the answers of the events route', () => {
    const op = buildOpenApiDocument().paths?.['/v1/apps/{app_id}/events']?.post;
    assert.ok(op);
    assert.deepEqual(Object.keys(op.responses ?? {}).sort(), ['200', '202', '400', '401', '404', '413', '415', '503']);
    const header = ((op.parameters ?? []) as { in: string; name: string; required?: boolean }[]).find(
      (p) => p.in === 'header',
    );
    assert.deepEqual([header?.name, header?.required], ['Idempotency-Key', false]);
  });

  test('is built once', () => {
    assert.equal(buildOpenApiDocument(), buildOpenApiDocument());
    assert.ok(Object.isFrozen(buildOpenApiDocument().paths));
  });
});

describe('OpenAPI request schemas agree with the routes\u2019 zod schemas', () => {
  const doc = buildOpenApiDocument();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(structuredClone(doc) as object, 'openapi.json');
  const jsonSchema = (name: string) => ajv.getSchema(`openapi.json#/components/schemas/${name}`)!;

  // Samples that both must accept or both must refuse. (Rules only a `.refine` states, such as "events must not
  // repeat", are documented in prose and left out.)
  const cases: { name: string; zod: z.ZodType; accept: unknown[]; refuse: unknown[] }[] = [
    {
      name: 'CreateAppBody',
      zod: createAppBodySchema,
      accept: [{ name: 'Acme' }, { name: 'Acme', privacy: { share_messages: false } }, { name: 'A', privacy: {} }],
      refuse: [
        {},
        { name: 'Acme', extra: 1 },
        { name: 5 },
        { name: 'Acme', privacy: { share_everything: true } },
        { name: '' },
      ],
    },
    {
      name: 'UpdateAppBody',
      zod: updateAppBodySchema,
      accept: [{ name: 'New name' }, { privacy: { share_user_email: false } }],
      refuse: [{}, { api_key_prefix: 'x' }, { name: 'x'.repeat(201) }],
    },
    {
      name: 'CreateWebhookBody',
      zod: createWebhookBodySchema,
      accept: [
        { url: 'https://example.com/hook', events: ['message_sent'] },
        {
          url: 'https://example.com/hook',
          events: ['custom_condition'],
          conditions: [{ prompt: 'When asked about pricing' }],
          enabled: false,
        },
        {
          url: 'https://example.com/hook',
          events: ['custom_condition'],
          conditions: [{ id: 'c1', prompt: 'p', fire: 'every_match' }],
        },
      ],
      refuse: [
        { url: 'https://example.com/hook' },
        { url: 'https://example.com/hook', events: [] },
        { url: 'https://example.com/hook', events: ['message_received'] },
        {
          url: 'https://example.com/hook',
          events: ['custom_condition'],
          conditions: [{ prompt: 'p', fire: 'sometimes' }],
        },
        { url: 'https://example.com/hook', events: ['message_sent'], secret: 'mine' },
        { url: '', events: ['message_sent'] },
      ],
    },
    {
      name: 'UpdateWebhookBody',
      zod: updateWebhookBodySchema,
      accept: [{ description: null }, { enabled: false }, { events: ['user_signup', 'conversation_end'] }],
      refuse: [{}, { events: [] }, { app_id: 'app_x' }, { enabled: 'no' }],
    },
    {
      name: 'ChatEventBody',
      zod: chatEventBodySchema,
      accept: [
        { type: 'user_signup' },
        {
          id: 'evt_1',
          type: 'user_signup',
          occurred_at: '2025-01-02T03:04:05Z',
          user: { logged_in: true, email: 'ada@example.com' },
        },
        { id: 'evt_2', type: 'message_sent', conversation_id: 'conv_1', message: 'hi', response: 'hello' },
      ],
      refuse: [
        { type: 'page_view' },
        { type: 'user_signup', user: { email: 'ada@example.com' } },
        { type: 'user_signup', user: { logged_in: true, email: 'not an email' } },
        { type: 'user_signup', occurred_at: 'yesterday' },
        { type: 'user_signup', id: 'a\u0001b' },
        { type: 'user_signup', extra: true },
      ],
    },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const validate = jsonSchema(c.name);
      assert.ok(validate, `components.schemas.${c.name} exists`);
      for (const body of c.accept) {
        assert.equal(c.zod.safeParse(body).success, true, `zod accepts ${JSON.stringify(body)}`);
        assert.equal(
          validate(body),
          true,
          `OpenAPI accepts ${JSON.stringify(body)}: ${ajv.errorsText(validate.errors)}`,
        );
      }
      for (const body of c.refuse) {
        assert.equal(c.zod.safeParse(body).success, false, `zod refuses ${JSON.stringify(body)}`);
        assert.equal(validate(body), false, `OpenAPI refuses ${JSON.stringify(body)}`);
      }
    });
  }
});

describe('OpenAPI response schemas match what the routes send', () => {
  const created = new Date('2025-01-02T03:04:05.678Z');
  const appRow: AppRow = {
    id: 'app_1',
    name: 'Acme',
    privacy: { share_user_email: true, share_user_name: false, share_messages: true },
    api_key_hash: 'hash',
    api_key_prefix: 'cwk_abcd',
    alert_url: null,
    created_at: created,
    updated_at: created,
  };
  const webhookRow: WebhookRow = {
    id: 'wh_1',
    app_id: 'app_1',
    url: 'https://example.com/hook',
    description: null,
    events: ['custom_condition'],
    conditions: [{ id: 'cond_1', prompt: 'When asked about pricing', fire: 'once_per_conversation' }],
    secret_encrypted: 'secret',
    previous_secret_encrypted: null,
    previous_secret_expires_at: null,
    enabled: true,
    disabled_reason: null,
    retry_schedule_ms: null,
    timeout_ms: null,
    failing_since: null,
    disabled_at: null,
    created_at: created,
    updated_at: created,
  };

  test('App and Webhook, with and without their secrets', () => {
    const strictParse = (schema: z.ZodObject, value: unknown) => schema.strict().parse(value);
    assert.doesNotThrow(() => strictParse(appSchema, appJson(appRow)));
    assert.doesNotThrow(() => strictParse(appWithKeySchema, { ...appJson(appRow), api_key: 'cwk_secret' }));
    assert.doesNotThrow(() => strictParse(webhookSchema, webhookJson(webhookRow)));
    assert.doesNotThrow(() => strictParse(webhookWithSecretSchema, { ...webhookJson(webhookRow), secret: 'whsec_x' }));
  });
});

describe('docs router', () => {
  let server: http.Server;
  let base: string;

  before(async () => {
    // Mounted as app.ts will mount it: at the root, before the keyed /v1 router and the 404 fallback.
    const app = express();
    app.use(createDocsRouter());
    app.use('/api', createDocsRouter());
    app.use('/v1', (_req, res) => {
      res.status(401).json({ error: { code: 'unauthorized', message: 'no key' } });
    });
    app.use((_req, res) => {
      res.status(404).json({ error: { code: 'not_found', message: 'no route' } });
    });
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  });

  test('GET /openapi.json answers the document, without a key', async () => {
    const res = await fetch(`${base}/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(buildOpenApiDocument())));
  });

  test('GET /docs answers a page whose every asset is served locally', async () => {
    for (const page of ['/docs', '/docs/']) {
      const res = await fetch(`${base}${page}`, { redirect: 'manual' });
      assert.equal(res.status, 200, page);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const html = await res.text();
      assert.match(html, /<div id="swagger-ui">/);

      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(assets.some((a) => a.endsWith('.css')));
      assert.ok(assets.filter((a) => a.endsWith('.js')).length >= 2);
      for (const asset of assets) {
        assert.ok(asset.startsWith('/docs/'), `${asset} is served by this server, not a CDN`);
        const got = await fetch(`${base}${asset}`);
        assert.equal(got.status, 200, asset);
        assert.ok((await got.arrayBuffer()).byteLength > 0, `${asset} is not empty`);
        if (asset.endsWith('.js')) assert.match(got.headers.get('content-type') ?? '', /javascript/, asset);
        if (asset.endsWith('.css')) assert.match(got.headers.get('content-type') ?? '', /^text\/css/, asset);
      }
    }

    const init = await (await fetch(`${base}/docs/swagger-initializer.js`)).text();
    assert.match(init, /url: "\/openapi\.json"/);
    assert.match(init, /validatorUrl: null/, 'the page calls no outside validator');
  });

  test('under a prefix, the page links follow the mount point', async () => {
    const html = await (await fetch(`${base}/api/docs`)).text();
    assert.match(html, /src="\/api\/docs\/swagger-ui-bundle\.js"/);
    assert.match(await (await fetch(`${base}/api/docs/swagger-initializer.js`)).text(), /url: "\/api\/openapi\.json"/);
    assert.equal((await fetch(`${base}/api/docs/swagger-ui.css`)).status, 200);
  });

  test('serves nothing else of swagger-ui-dist, and leaves /v1 to the API', async () => {
    for (const path of [
      '/docs/package.json',
      '/docs/index.html',
      '/docs/swagger-initializer.js/x',
      '/docs/..%2Fpackage.json',
    ]) {
      assert.equal((await fetch(`${base}${path}`)).status, 404, path);
    }
    assert.equal((await fetch(`${base}/v1/apps`)).status, 401);
  });
});
