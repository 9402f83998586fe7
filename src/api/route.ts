/**
 * One declaration per route. `defineRoute({...}).handle(fn)` takes the method, path, access, input schemas, answers,
 * error codes and summary of an operation, then its handler; `mountRoutes` turns the declarations into Express routes and
 * `registerRoutes` turns the same declarations into the OpenAPI document's paths (through zod-to-openapi's
 * `registerPath`). Deleting a declaration removes the route and its documentation at once.
 *
 * What a route may answer besides its own codes follows from its declaration: a key-protected route can answer
 * `unauthorized`, an admin route `forbidden`, a route under `{app_id}` `not_found`, a route with input
 * `validation_failed`, a route that reads a body the body parser's codes, every route `internal`.
 */
import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type express from 'express';
import { type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';

import type { AppRow } from '../db/queries/apps';
import type { ApiDeps } from './app';
import { type Principal, principalOf, requireAdmin, requireApiKey, requireJson, scopedApp, scopeToApp } from './auth';
import { parseJsonBody, rejectUnstorableStrings, requireNoBody } from './body';
import { API_ERRORS, type ApiErrorCode, DEFAULT_RETRY_AFTER_S } from './error-codes';
import { ApiError, parseOr400 } from './errors';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** public: no key; key: any key (admin or app); admin: the admin key only. Under `{app_id}`, a key must reach it. */
export type Access = 'public' | 'key' | 'admin';

/**
 * What a portal session needs for a route: `read` (any session), `manage` (a manage session), or `none` (no portal
 * session: the platform's own routes, such as posting events or minting sessions). Default: `none` for admin routes,
 * `read` for GET, `manage` for the rest.
 */
export type PortalAccess = 'read' | 'manage' | 'none';

export type Tag = 'Apps' | 'Webhooks' | 'Events' | 'Deliveries' | 'Conditions' | 'Health';

export interface ResponseSpec {
  description: string;
  /** The body's schema; none for an empty answer (204). */
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
  headers?: z.ZodObject;
  /** OpenAPI links from this answer to the operations that take its values. */
  links?: ResponseConfig['links'];
}

type Responses = Partial<Record<number, ResponseSpec>>;
type ObjectSchema = z.ZodObject | z.ZodPipe<z.ZodObject, z.ZodType>;

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P, Q, H, B> {
  params: Out<P>;
  query: Out<Q>;
  headers: Out<H>;
  body: Out<B>;
}

/** What a handler answers: one of its declared statuses, with a body of that status's schema. */
export type Reply<R extends Responses> = {
  [S in keyof R & number]: {
    status: S;
    headers?: Record<string, string>;
  } & (NonNullable<R[S]>['schema'] extends z.ZodType
    ? { body: z.input<NonNullable<R[S]>['schema']> }
    : { body?: undefined });
}[keyof R & number];

export interface RouteContext {
  deps: ApiDeps;
  principal: Principal;
  /** The app that `{app_id}` names, checked to be reachable by the key. Only on routes under `{app_id}`. */
  app: AppRow;
  req: Request;
  res: Response;
}

export interface RouteSpec<
  P extends z.ZodObject | undefined,
  Q extends ObjectSchema | undefined,
  H extends z.ZodObject | undefined,
  B extends z.ZodType | undefined,
  R extends Responses,
  E extends ApiErrorCode,
> {
  method: Method;
  /** OpenAPI syntax: `/v1/apps/{app_id}`. */
  path: string;
  operationId: string;
  tags: [Tag];
  summary: string;
  description?: string;
  access: Access;
  portal?: PortalAccess;
  params?: P;
  query?: Q;
  headers?: H;
  /** A JSON body; a write route without one accepts no body, or `{}`. */
  body?: B;
  responses: R;
  /** The codes the handler itself answers, beyond those its declaration implies (see the file comment). */
  errors?: readonly E[];
}

export type Handler<P, Q, H, B, R extends Responses> = (
  input: RouteInput<P, Q, H, B>,
  ctx: RouteContext,
) => Reply<R> | Promise<Reply<R>>;

/** A declared route, its types erased so that routes of every shape fit in one list. */
export interface Route {
  method: Method;
  path: string;
  operationId: string;
  tags: [Tag];
  summary: string;
  description?: string;
  access: Access;
  portal?: PortalAccess;
  params?: z.ZodObject;
  query?: ObjectSchema;
  headers?: z.ZodObject;
  body?: z.ZodType;
  responses: Responses;
  /** Every code the route can answer: its own and those its declaration implies. */
  errorCodes: readonly ApiErrorCode[];
  handle: (input: { params: unknown; query: unknown; headers: unknown; body: unknown }, ctx: RouteContext) => unknown;
}

const BODY_CODES = [
  'validation_failed',
  'invalid_json',
  'invalid_utf8',
  'invalid_encoding',
  'request_aborted',
  'body_too_large',
  'unsupported_media_type',
  'unsupported_encoding',
] as const satisfies readonly ApiErrorCode[];

const pathParamNames = (path: string) => [...path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);

export function defineRoute<
  P extends z.ZodObject | undefined = undefined,
  Q extends ObjectSchema | undefined = undefined,
  H extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  const R extends Responses = Responses,
  E extends ApiErrorCode = never,
>(spec: RouteSpec<P, Q, H, B, R, E>): { handle: (handler: Handler<P, Q, H, B, R>) => Route } {
  const inPath = pathParamNames(spec.path);
  const declared = spec.params ? Object.keys(spec.params.shape) : [];
  if (inPath.join() !== declared.join()) {
    throw new Error(`${spec.operationId}: path parameters ${inPath.join()} but params declares ${declared.join()}`);
  }
  const codes = new Set<ApiErrorCode>(spec.errors ?? []);
  if (spec.access !== 'public') {
    codes.add('unauthorized').add('portal_session_expired').add('portal_session_revoked');
    codes.add('database_unavailable').add('forbidden');
  }
  if (inPath.includes('app_id')) codes.add('not_found');
  if (spec.query || spec.headers || spec.params) codes.add('validation_failed');
  if (spec.method !== 'get') for (const code of BODY_CODES) codes.add(code);
  codes.add('internal');
  const order = Object.keys(API_ERRORS);
  const errorCodes = [...codes].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  // The handler comes second, once the declaration's types are fixed, so that its answers are checked against them.
  return {
    handle: (handler) => ({
      ...(spec as unknown as Omit<Route, 'errorCodes' | 'handle'>),
      errorCodes,
      handle: handler as Route['handle'],
    }),
  };
}

/** Refuses a portal session the route is not open to, or a read session on a route that changes or reveals. */
function portalGuard(route: Route): RequestHandler {
  const needs: PortalAccess =
    route.portal ?? (route.access === 'admin' ? 'none' : route.method === 'get' ? 'read' : 'manage');
  return (_req, res, next) => {
    const principal = principalOf(res);
    if (principal.kind !== 'portal') return next();
    if (needs === 'none') throw new ApiError('forbidden', 'A portal session cannot do this');
    if (needs === 'manage' && principal.capability !== 'manage') {
      throw new ApiError('forbidden', 'This portal session can only read');
    }
    next();
  };
}

export const toExpressPath = (path: string) => path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');

function readHeaders(schema: z.ZodObject, req: Request): Record<string, string | undefined> {
  return Object.fromEntries(Object.keys(schema.shape).map((name) => [name, req.get(name)]));
}

/** Mounts every route on `app`, each with exactly the checks its declaration names, in this order. */
export function mountRoutes(app: express.Express, routes: readonly Route[], deps: ApiDeps): void {
  const authenticate = requireApiKey(deps);
  const scope = scopeToApp(deps);
  for (const route of routes) {
    const declaredErrorCodes: ReadonlySet<string> = new Set(route.errorCodes);
    const chain: RequestHandler[] = [
      (_req, res, next) => {
        res.locals.declaredErrorCodes = declaredErrorCodes;
        next();
      },
    ];
    if (route.access !== 'public') chain.push(authenticate, portalGuard(route));
    if (route.access === 'admin') chain.push(requireAdmin);
    if (route.path.includes('{app_id}')) chain.push(scope);
    if (route.method !== 'get') {
      chain.push(parseJsonBody, rejectUnstorableStrings, route.body ? requireJson : requireNoBody);
    }
    chain.push(async (req, res) => {
      const input = {
        // A path parameter its schema refuses (a user id with a control character) is a 400 naming it, not a fault.
        params: route.params ? parseOr400(route.params, req.params, 'params') : undefined,
        query: route.query ? parseOr400(route.query, req.query, 'query') : undefined,
        headers: route.headers ? parseOr400(route.headers, readHeaders(route.headers, req), 'header') : undefined,
        body: route.body ? parseOr400(route.body, req.body) : undefined,
      };
      const ctx: RouteContext = {
        deps,
        req,
        res,
        principal: principalOf(res),
        get app() {
          const app = scopedApp(res);
          if (!app) throw new Error(`${route.operationId}: ctx.app is only set on routes under {app_id}`);
          return app;
        },
      };
      const reply = (await route.handle(input, ctx)) as {
        status: number;
        body?: unknown;
        headers?: Record<string, string>;
      };
      const spec = route.responses[reply.status];
      if (!spec) throw new Error(`${route.operationId} answered undeclared status ${reply.status}`);
      res.status(reply.status);
      if (reply.headers) res.set(reply.headers);
      if (reply.body === undefined) res.end();
      else if ((spec.contentType ?? 'application/json') === 'application/json') res.json(reply.body);
      else {
        // A handler may have set a more precise type (Prometheus' text format version).
        if (!res.get('content-type')) res.type(spec.contentType!);
        res.send(reply.body);
      }
    });
    app[route.method](toExpressPath(route.path), ...chain);
  }
}

/**
 * Answers a path the API has, asked with a method it does not support: 405 with `Allow`. OPTIONS answers 204 with
 * `Allow`. Mount before the routes.
 */
export function methodNotAllowed(routes: readonly Route[]): RequestHandler {
  const byPath = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const route of routes) {
    const entry = byPath.get(route.path) ?? {
      // Case-insensitive, as Express routes are.
      pattern: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`, 'i'),
      methods: new Set<string>(),
    };
    entry.methods.add(route.method.toUpperCase());
    if (route.method === 'get') entry.methods.add('HEAD');
    byPath.set(route.path, entry);
  }
  return (req, res, next) => {
    const allowed = new Set<string>();
    for (const { pattern, methods } of byPath.values()) {
      if (pattern.test(req.path)) for (const m of methods) allowed.add(m);
    }
    if (allowed.size === 0 || allowed.has(req.method)) return next();
    const allow = [...allowed, 'OPTIONS'].join(', ');
    res.set('allow', allow);
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    throw new ApiError('method_not_allowed', `${req.method} is not supported on ${req.path}; use ${allow}`);
  };
}

function errorBodySchema(codes: readonly ApiErrorCode[]) {
  return z.object({
    error: z.object({
      code: z.enum(codes as [ApiErrorCode, ...ApiErrorCode[]]),
      message: z.string().describe('What went wrong, for a person to read.'),
      details: z
        .array(
          z.object({
            field: z.string(),
            message: z.string(),
            position: z
              .object({ start: z.int(), end: z.int() })
              .optional()
              .describe('For invalid_filter: where in the expression, in characters from 0 (end excluded).'),
          }),
        )
        .optional()
        .describe('For validation_failed and invalid_filter: one entry per bad field.'),
    }),
  });
}

const RETRY_AFTER = z.object({
  'Retry-After': z.string().describe(`Seconds to wait before retrying (usually ${DEFAULT_RETRY_AFTER_S}).`),
});
const RETRY_AFTER_QUOTA = z.object({
  'Retry-After': z.string().describe("Whole seconds until the app's quota has room for another event (at least 1)."),
});

/** The error answers of one route: one response per status, naming the codes that status can carry. */
export function errorResponses(codes: readonly ApiErrorCode[]): RouteConfig['responses'] {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of codes) {
    const status = API_ERRORS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      status,
      {
        description: group.map((code) => `\`${code}\`: ${API_ERRORS[code].meaning}`).join(' '),
        ...(status === 503 ? { headers: RETRY_AFTER } : status === 429 ? { headers: RETRY_AFTER_QUOTA } : {}),
        content: { 'application/json': { schema: errorBodySchema(group) } },
      },
    ]),
  );
}

/** Registers every route's operation in the document. */
export function registerRoutes(registry: OpenAPIRegistry, routes: readonly Route[]): void {
  for (const route of routes) {
    const success = Object.fromEntries(
      Object.entries(route.responses).map(([status, spec]) => [
        status,
        {
          description: spec!.description,
          ...(spec!.headers ? { headers: spec!.headers } : {}),
          ...(spec!.links ? { links: spec!.links } : {}),
          ...(spec!.schema ? { content: { [spec!.contentType ?? 'application/json']: { schema: spec!.schema } } } : {}),
        },
      ]),
    );
    registry.registerPath({
      method: route.method,
      path: route.path,
      operationId: route.operationId,
      tags: route.tags,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(route.access === 'public' ? { security: [] } : {}),
      request: {
        ...(route.params ? { params: route.params } : {}),
        ...(route.query ? { query: route.query } : {}),
        ...(route.headers ? { headers: route.headers } : {}),
        ...(route.body ? { body: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
      },
      responses: { ...success, ...errorResponses(route.errorCodes) },
    });
  }
}
