import type { RequestHandler } from 'express';
import { ApiError } from './errors';
import { apiKeyMatches } from '../security/api-keys';

export type Principal = { kind: 'admin' };

/**
 * Requires `Authorization: Bearer <key>`. The admin key reaches every app. Per-app keys are checked here too once
 * they exist; until then, only the admin key is accepted.
 */
export function requireApiKey(adminApiKey: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new ApiError(401, 'unauthorized', 'Missing API key: send it as "Authorization: Bearer <key>"');
    }
    if (!apiKeyMatches(match[1]!, adminApiKey)) {
      throw new ApiError(401, 'unauthorized', 'Invalid API key');
    }
    res.locals.principal = { kind: 'admin' } satisfies Principal;
    next();
  };
}

/** Write routes take JSON only: anything else is a 415 naming what was sent. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    const sent = req.get('content-type');
    throw new ApiError(
      415,
      'unsupported_media_type',
      sent ? `Content-Type must be application/json, not ${sent}` : 'Content-Type must be application/json',
    );
  }
  next();
};
