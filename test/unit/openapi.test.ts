/**
 * The OpenAPI document: valid OpenAPI 3.1, built from the route declarations alone (one declaration per route mounts
 * the handler and documents it), with the error codes each route can answer, request schemas that accept and refuse
 * what the routes' zod schemas do, the generated client's types in step with it, and served (with its reference page)
 * without a network.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import express from 'express';
import { z } from 'zod';

import type { ApiDeps } from '../../src/api/app';
import { API_ERRORS, type ApiErrorCode } from '../../src/api/error-codes';
import { errorMiddleware } from '../../src/api/errors';
import { buildOpenApiDocument, createDocsRouter } from '../../src/api/openapi';
import { defineRoute, methodNotAllowed, mountRoutes, registerRoutes, type Route } from '../../src/api/route';
import { API_ROUTES } from '../../src/api/routes';
import { createAppBodySchema, updateAppBodySchema } from '../../src/api/routes/apps';
import { createWebhookBodySchema, updateWebhookBodySchema } from '../../src/api/routes/webhook-schemas';
import { chatEventBodySchema } from '../../src/domain/event-body';
import { createLogger } from '../../src/logger';
import { PACKAGE_ROOT } from '../../src/package-root';
import { VERSION } from '../../src/version';
import { generateClientTypes } from '../../support/client-types';

type Doc = ReturnType<typeof buildOpenApiDocument>;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Every operation of the document, as `METHOD /path` with OpenAPI's `{param}` syntax, in document order. */
function documentedOperations(doc: Doc): string[] {
  const ops: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) if (item[method]) ops.push(`${method.toUpperCase()} ${path}`);
  }
  return ops;
}

async function listen(app: express.Express): Promise<{ base: string; close: () => Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
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

  test('documents exactly the declared routes, in their order', () => {
    const declared = API_ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    assert.ok(declared.includes('POST /v1/apps/{app_id}/events') && declared.includes('GET /healthz'));
    assert.equal(new Set(declared).size, declared.length, 'each method and path is declared once');
    assert.deepEqual([...documentedOperations(buildOpenApiDocument())].sort(), [...declared].sort());
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
          assert.ok(op.responses?.['503'], `${method} ${path} documents 503 (database_unavailable)`);
        } else {
          assert.deepEqual(op.security, [], `${method} ${path} needs no key`);
        }
      }
    }
  });

  test('documents the answers of the events route, each error status with the codes it can carry', () => {
    const op = buildOpenApiDocument().paths?.['/v1/apps/{app_id}/events']?.post;
    assert.ok(op);
    assert.deepEqual(Object.keys(op.responses ?? {}).sort(), [
      '200',
      '202',
      '400',
      '401',
      '403',
      '404',
      '413',
      '415',
      '429',
      '500',
      '503',
    ]);
    const codesOf = (status: string) =>
      (
        op.responses?.[status] as {
          content: {
            'application/json': { schema: { properties: { error: { properties: { code: { enum: string[] } } } } } };
          };
        }
      ).content['application/json'].schema.properties.error.properties.code.enum;
    assert.deepEqual(codesOf('503'), ['temporal_unavailable', 'database_unavailable']);
    assert.deepEqual(codesOf('404'), ['not_found']);
    assert.deepEqual(codesOf('401'), ['unauthorized', 'portal_session_expired', 'portal_session_revoked']);
    assert.ok((op.responses?.['503'] as { headers?: Record<string, unknown> }).headers?.['Retry-After']);
    assert.deepEqual(codesOf('429'), ['rate_limited']);
    assert.ok((op.responses?.['429'] as { headers?: Record<string, unknown> }).headers?.['Retry-After']);
    const header = ((op.parameters ?? []) as { in: string; name: string; required?: boolean }[]).find(
      (p) => p.in === 'header',
    );
    assert.deepEqual([header?.name, header?.required], ['Idempotency-Key', false]);
  });

  test('every error response names only codes from the one list, each under its own status', () => {
    const doc = buildOpenApiDocument();
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const method of HTTP_METHODS) {
        for (const [status, response] of Object.entries(item[method]?.responses ?? {})) {
          if (Number(status) < 400 || (path === '/readyz' && status === '503')) continue;
          const schema = (response as { content?: Record<string, { schema?: any }> }).content?.['application/json']
            ?.schema;
          const codes: string[] = schema?.properties?.error?.properties?.code?.enum ?? [];
          assert.ok(codes.length > 0, `${method} ${path} ${status} names its codes`);
          for (const code of codes) {
            assert.ok(code in API_ERRORS, `${code} is in API_ERRORS`);
            assert.equal(API_ERRORS[code as ApiErrorCode].status, Number(status), `${code} under ${status}`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 100);
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

  // Samples that both must accept or both must refuse: every rule zod enforces is stated in the document too, down
  // to "events must not repeat" (uniqueItems) and "conditions go with custom_condition" (if/then).
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
        { name: '   ' },
        { name: 'A\u0000B' },
        { name: 'Acme', alert_url: 'ftp://example.com/' },
        { name: 'Acme', alert_url: 'https://user:pw@example.com/' },
        { name: 'Acme', alert_url: 'https://example.com/a b' },
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
        { url: 'example.com/hook', events: ['message_sent'] },
        { url: 'https://example.com/hook', events: ['message_sent', 'message_sent'] },
        { url: 'https://example.com/hook', events: ['custom_condition'] },
        { url: 'https://example.com/hook', events: ['custom_condition'], conditions: [] },
        { url: 'https://example.com/hook', events: ['message_sent'], conditions: [{ prompt: 'p' }] },
        { url: 'https://example.com/hook', events: ['custom_condition'], conditions: [{ prompt: ' ' }] },
        { url: 'https://example.com/hook', events: ['message_sent'], retry_schedule: '5s,0s' },
        { url: 'https://example.com/hook', events: ['message_sent'], retry_schedule: '25h' },
        { url: 'https://example.com/hook', events: ['message_sent'], retry_schedule: '1.5s' },
      ],
    },
    {
      name: 'UpdateWebhookBody',
      zod: updateWebhookBodySchema,
      accept: [
        { description: null },
        { enabled: false },
        { events: ['user_signup', 'conversation_end'] },
        { conditions: [{ prompt: 'p' }] },
        { events: ['message_sent'], conditions: [] },
        { retry_schedule: '' },
        { retry_schedule: '5s,5m,30m,24h,1d' },
        { retry_schedule: '5s, 5m , 1h' },
      ],
      refuse: [
        {},
        { events: [] },
        { app_id: 'app_x' },
        { enabled: 'no' },
        { events: ['custom_condition'], conditions: [] },
        { events: ['message_sent'], conditions: [{ prompt: 'p' }] },
      ],
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
        {
          type: 'user_signup',
          user: { logged_in: true, email: 'josé@exämple.com', name: '\u2028 \u05e9\u05dc\u05d5\u05dd 👋' },
        },
      ],
      refuse: [
        { type: 'page_view' },
        { type: 'user_signup', user: { email: 'ada@example.com' } },
        { type: 'user_signup', user: { logged_in: true, email: 'not an email' } },
        { type: 'user_signup', occurred_at: 'yesterday' },
        { type: 'user_signup', id: 'a\u0001b' },
        { type: 'user_signup', extra: true },
        { type: 'message_sent' },
        { type: 'conversation_end' },
        { type: 'user_signup', user: { logged_in: true, name: 'A\u0000' } },
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

  test('GET /docs/ answers the Swagger UI page (swagger-ui-express), every asset served locally', async () => {
    const redirect = await fetch(`${base}/docs`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/docs/');
    const res = await fetch(`${base}/docs/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, /<div id="swagger-ui">/);
    assert.match(html, new RegExp(`<title>chat-webhooks API ${VERSION.replaceAll('.', '\\.')}</title>`));

    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.some((a) => a.endsWith('.css')));
    assert.ok(assets.filter((a) => a.endsWith('.js')).length >= 2);
    for (const asset of assets) {
      assert.ok(asset.startsWith('./'), `${asset} is served by this server, not a CDN`);
      const got = await fetch(new URL(asset, `${base}/docs/`));
      assert.equal(got.status, 200, asset);
      assert.ok((await got.arrayBuffer()).byteLength > 0, `${asset} is not empty`);
    }

    const init = await (await fetch(`${base}/docs/swagger-ui-init.js`)).text();
    assert.match(init, /"url": "\.\.\/openapi\.json"/, 'the page loads the document beside its folder');
    assert.match(init, /"validatorUrl": null/, 'the page calls no outside validator');
  });

  test('under a prefix, the page follows the mount point', async () => {
    const redirect = await fetch(`${base}/api/docs`, { redirect: 'manual' });
    assert.equal(redirect.headers.get('location'), '/api/docs/');
    assert.equal((await fetch(`${base}/api/docs/swagger-ui.css`)).status, 200);
    // ../openapi.json from /api/docs/ is /api/openapi.json.
    assert.equal((await fetch(new URL('../openapi.json', `${base}/api/docs/`))).status, 200);
  });

  test('serves nothing else of swagger-ui-dist, and leaves /v1 to the API', async () => {
    for (const p of [
      '/docs/package.json',
      '/docs/index.html',
      '/docs/swagger-ui.js.map',
      '/docs/oauth2-redirect.html',
    ]) {
      assert.equal((await fetch(`${base}${p}`)).status, 404, p);
    }
    assert.equal((await fetch(`${base}/docs/`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`${base}/v1/apps`)).status, 401);
  });
});

describe('one declaration per route', () => {
  const noDeps = { logger: createLogger('silent') } as unknown as ApiDeps;
  const echo = defineRoute({
    method: 'post',
    path: '/v1/echo/{id}',
    operationId: 'echo',
    tags: ['Health'],
    summary: 'Echo',
    access: 'public',
    params: z.object({ id: z.string() }),
    body: z.strictObject({ word: z.string().max(5) }),
    responses: { 200: { description: 'The word.', schema: z.object({ id: z.string(), word: z.string() }) } },
  }).handle(({ params, body }) => ({ status: 200, body: { id: params.id, word: body.word } }));
  const ping = defineRoute({
    method: 'get',
    path: '/v1/echo/{id}',
    operationId: 'ping',
    tags: ['Health'],
    summary: 'Ping',
    access: 'public',
    params: z.object({ id: z.string() }),
    responses: { 204: { description: 'Nothing.' } },
  }).handle(() => ({ status: 204 }));

  async function serve(routes: Route[]) {
    const app = express();
    app.use(methodNotAllowed(routes));
    mountRoutes(app, routes, noDeps);
    app.use(errorMiddleware(noDeps.logger));
    const registry = new OpenAPIRegistry();
    registerRoutes(registry, routes);
    const doc = new OpenApiGeneratorV31(registry.definitions).generateDocument({
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
    });
    return { ...(await listen(app)), doc };
  }

  test('the declaration mounts the handler, validates its input and documents it; without it, both are gone', async () => {
    const both = await serve([echo, ping]);
    try {
      const said = await fetch(`${both.base}/v1/echo/7`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ word: 'hi' }),
      });
      assert.deepEqual([said.status, await said.json()], [200, { id: '7', word: 'hi' }]);
      const bad = await fetch(`${both.base}/v1/echo/7`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ word: 'toolong' }),
      });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'validation_failed');
      assert.ok(both.doc.paths?.['/v1/echo/{id}']?.post?.responses?.['413'], 'a body route documents 413');
      assert.ok(both.doc.paths?.['/v1/echo/{id}']?.get);
    } finally {
      await both.close();
    }

    const onlyPing = await serve([ping]);
    try {
      const gone = await fetch(`${onlyPing.base}/v1/echo/7`, { method: 'POST', body: '{}' });
      assert.equal(gone.status, 405, 'the path remains, without POST');
      assert.equal(gone.headers.get('allow'), 'GET, HEAD, OPTIONS');
      assert.equal(onlyPing.doc.paths?.['/v1/echo/{id}']?.post, undefined, 'and the document no longer has it');
    } finally {
      await onlyPing.close();
    }
  });

  test('an unsupported method on an existing path answers 405 with Allow, OPTIONS 204 with Allow', async () => {
    const server = await serve([echo, ping]);
    try {
      const put = await fetch(`${server.base}/v1/echo/7`, { method: 'PUT' });
      assert.equal(put.status, 405);
      assert.equal(put.headers.get('allow'), 'POST, GET, HEAD, OPTIONS');
      assert.equal(((await put.json()) as { error: { code: string } }).error.code, 'method_not_allowed');
      // fetch refuses TRACE; node:http sends it.
      const trace = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http.request(`${server.base}/v1/echo/7`, { method: 'TRACE' }, resolve).on('error', reject).end(),
      );
      trace.resume();
      assert.equal(trace.statusCode, 405);
      const options = await fetch(`${server.base}/v1/echo/7`, { method: 'OPTIONS' });
      assert.deepEqual([options.status, options.headers.get('allow')], [204, 'POST, GET, HEAD, OPTIONS']);
    } finally {
      await server.close();
    }
  });

  test('a declaration whose params do not match its path is refused at once', () => {
    assert.throws(
      () =>
        defineRoute({
          method: 'get',
          path: '/v1/things/{thing_id}',
          operationId: 'thing',
          tags: ['Health'],
          summary: 'Thing',
          access: 'public',
          params: z.object({ id: z.string() }),
          responses: { 204: { description: 'Nothing.' } },
        }),
      /path parameters thing_id but params declares id/,
    );
  });
});

describe('generated client', () => {
  test('src/client/openapi.generated.ts is what openapi-typescript makes of the document now', async () => {
    const checkedIn = fs.readFileSync(path.join(PACKAGE_ROOT, 'src', 'client', 'openapi.generated.ts'), 'utf8');
    assert.equal(checkedIn, await generateClientTypes(), 'run `npm run client:generate` and commit the result');
  });
});
