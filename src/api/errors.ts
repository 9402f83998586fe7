import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import type { ErrorRequestHandler } from 'express';
import { type z } from 'zod';

import type { Logger } from '../logger';
import { type ApiErrorCode, DEFAULT_RETRY_AFTER_S, statusOf } from './error-codes';
import { BODY_LIMIT_TEXT } from './limits';

/**
 * An answer other than success, with the one error shape every route uses: `{ error: { code, message, details? } }`.
 * The status comes from the code's entry in API_ERRORS.
 */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Array<{ field: string; message: string; position?: { start: number; end: number } }>,
    /** Extra headers of the answer, such as a Retry-After other than the default. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = statusOf(code);
  }
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);

/** A 400 naming one field. */
export const invalidField = (field: string, message: string, where: 'body' | 'query' | 'header' = 'body') =>
  new ApiError('validation_failed', `Invalid request ${where}: ${field}: ${message}`, [{ field, message }]);

/** A 400 naming every bad field: `type: Invalid option: expected one of ...`. */
export function validationError(error: z.ZodError, where: 'body' | 'query' | 'header' | 'params' = 'body'): ApiError {
  const details = error.issues.map((issue) => {
    // An unknown key is named as the field itself, so the caller sees which one to remove.
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys.join(', ')] : issue.path;
    return { field: path.length ? path.join('.') : `(${where})`, message: issue.message };
  });
  const summary = details.map((d) => `${d.field}: ${d.message}`).join('; ');
  return new ApiError('validation_failed', `Invalid request ${where}: ${summary}`, details);
}

/** Parses with zod, turning a failure into a 400 that names each field. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where?: 'body' | 'query' | 'header' | 'params',
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

/** body-parser's error types, mapped to answers a caller can act on. */
function fromBodyParser(err: {
  type?: string;
  message?: string;
  limit?: number;
  status?: number;
  code?: string;
}): ApiError | undefined {
  // A body that cannot be decompressed (Content-Encoding: gzip with bytes that are not gzip).
  if (err.status === 400 && typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return new ApiError('invalid_encoding', 'Request body does not match its Content-Encoding');
  }
  switch (err.type) {
    case 'entity.too.large':
      return new ApiError('body_too_large', `Request body is larger than the ${BODY_LIMIT_TEXT} limit`);
    case 'entity.parse.failed':
      return new ApiError('invalid_json', 'Request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError('unsupported_encoding', err.message ?? 'Unsupported body encoding');
    case 'request.aborted':
      return new ApiError('request_aborted', 'The request body was not received in full');
    default:
      return undefined;
  }
}

/** Connection failures and Postgres' "shutting down" / "starting up" / "too many connections" answers. */
const DATABASE_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e.code !== undefined && DATABASE_DOWN_CODES.has(e.code)) ||
    /Connection terminated|timeout exceeded when trying to connect/.test(e.message ?? '')
  );
}

/** The Temporal client could not reach the server, the server did not answer in time, or it is overloaded. */
function isTemporalUnavailable(err: unknown): boolean {
  const grpc = err instanceof ServiceError ? err.cause : err;
  // 14 UNAVAILABLE, 4 DEADLINE_EXCEEDED, 8 RESOURCE_EXHAUSTED.
  return isGrpcServiceError(grpc) && (grpc.code === 14 || grpc.code === 4 || grpc.code === 8);
}

/**
 * Failures that are not ApiErrors but have an answer a caller can act on: a path escape that does not decode, a row
 * that a concurrent request deleted under this one (a foreign key with nothing to point at), or a dependency that
 * is out of reach.
 */
function knownFailure(err: unknown, logger: Logger, where: { method: string; path: string }): ApiError | undefined {
  if (err instanceof URIError) return new ApiError('not_found', `No route for ${where.method} ${where.path}`);
  if ((err as { code?: string }).code === '23503') {
    return new ApiError('not_found', 'What this request refers to was deleted meanwhile');
  }
  if (isDatabaseUnavailable(err)) {
    // The caller should retry, as when Temporal is out of reach: nothing was accepted.
    logger.warn({ err, ...where }, 'database unavailable');
    return new ApiError('database_unavailable', 'The database is unreachable, so nothing was done. Retry later.');
  }
  if (isTemporalUnavailable(err)) {
    logger.warn({ err, ...where }, 'temporal unavailable');
    return new ApiError(
      'temporal_unavailable',
      'The workflow engine is unreachable, so nothing was done. Retry later.',
    );
  }
  return undefined;
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const where = { method: req.method, path: req.path };
    const known = err instanceof ApiError ? err : (fromBodyParser(err) ?? knownFailure(err, logger, where));
    if (!known) {
      // Only the method, path and error: request bodies may hold message contents.
      logger.error({ err, ...where }, 'unhandled error in request');
      res.status(500).json({ error: { code: 'internal', message: 'Internal server error' } });
      return;
    }
    // The codes the matched route declares, set by route.ts before its handler runs.
    const declared = res.locals.declaredErrorCodes as ReadonlySet<string> | undefined;
    if (declared && !declared.has(known.code)) {
      // A bug in the route's declaration: the document does not list this answer. Answered anyway.
      logger.error({ ...where, code: known.code }, 'route answered an undeclared error code');
    }
    res.set(known.headers);
    if (known.status === 503 && !res.get('retry-after')) res.set('retry-after', String(DEFAULT_RETRY_AFTER_S));
    res.status(known.status).json({
      error: { code: known.code, message: known.message, ...(known.details ? { details: known.details } : {}) },
    });
  };
}
