/**
 * What every JSON body must be before any route reads it: valid UTF-8, and no string that Postgres cannot store or
 * that is not text (NUL, lone UTF-16 surrogates). One check here instead of one per schema.
 */
import express, { type RequestHandler } from 'express';

import { ApiError } from './errors';
import { BODY_LIMIT_BYTES, MAX_BODY_DEPTH } from './limits';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export const parseJsonBody: RequestHandler = express.json({
  limit: BODY_LIMIT_BYTES,
  strict: true,
  verify: (_req, _res, buf) => {
    try {
      strictUtf8.decode(buf);
    } catch {
      throw new ApiError('invalid_utf8', 'Request body is not valid UTF-8');
    }
  },
});

// A lone high surrogate not followed by a low one, or a lone low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The first problem in a parsed body: nesting deeper than MAX_BODY_DEPTH, or a string (or key) holding NUL or a lone
 * surrogate. Iterative, so a hostile depth cannot exhaust the stack.
 */
function findBadValue(body: unknown): { field: string; problem: string } | undefined {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value: body, path: [] }];
  const check = (text: string, path: string[]) => {
    const field = path.join('.') || '(body)';
    if (text.includes('\u0000')) return { field, problem: 'must not contain NUL characters' };
    if (LONE_SURROGATE.test(text)) return { field, problem: 'must not contain unpaired UTF-16 surrogates' };
    return undefined;
  };
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    // Named by its top-level field: the full path would be as deep as the problem.
    if (path.length > MAX_BODY_DEPTH) {
      return {
        field: Array.isArray(body) ? '(body)' : (path[0] ?? '(body)'),
        problem: `nests deeper than ${MAX_BODY_DEPTH} levels`,
      };
    }
    if (typeof value === 'string') {
      const found = check(value, path);
      if (found) return found;
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: [...path, String(i)] }));
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        const found = check(key, [...path, key]);
        if (found) return found;
        stack.push({ value: inner, path: [...path, key] });
      }
    }
  }
  return undefined;
}

export const rejectUnstorableStrings: RequestHandler = (req, _res, next) => {
  const found = findBadValue(req.body);
  if (found) {
    throw new ApiError('validation_failed', `Invalid request body: ${found.field}: ${found.problem}`, [
      { field: found.field, message: found.problem },
    ]);
  }
  next();
};

/**
 * For routes that take no input (rotate, test, delete): an empty body, or `{}` as JSON. Anything else is refused, so
 * a caller who thinks they are passing something learns that they are not.
 */
export const requireNoBody: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (!hasBody) return next();
  if (!req.is('application/json')) {
    throw new ApiError(
      'unsupported_media_type',
      'This route takes no body: send none, or {} with Content-Type: application/json',
    );
  }
  const body = req.body as unknown;
  if (body && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length > 0) {
    const keys = Object.keys(body).join(', ');
    throw new ApiError('validation_failed', `Invalid request body: ${keys}: this route takes no fields`, [
      { field: keys, message: 'this route takes no fields' },
    ]);
  }
  if (body !== undefined && (typeof body !== 'object' || Array.isArray(body) || body === null)) {
    throw new ApiError('validation_failed', 'Invalid request body: (body): this route takes no body, or {}', [
      { field: '(body)', message: 'this route takes no body, or {}' },
    ]);
  }
  next();
};

/** Ids in paths are printable ASCII; anything else cannot name a row and is answered as not found without a query. */
export function isPlausibleId(id: string): boolean {
  return /^[\x21-\x7e]{1,200}$/.test(id);
}
