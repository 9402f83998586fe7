import type { RequestHandler, Response } from 'express';

import type { Db } from '../db/pool';
import { type AppRow, findApp, findAppByKeyHash } from '../db/queries/apps';
import { apiKeyMatches, hashApiKey } from '../security/api-keys';
import { looksLikePortalToken, type PortalCapability, portalTokensFor } from '../security/portal-token';
import type { SecretBox } from '../security/secret-box';
import { isPlausibleId } from './body';
import { ApiError, notFound } from './errors';

/**
 * Who is calling: the admin key reaches every app; an app key reaches its own app only; a portal session reaches its
 * own app's routes that the portal may use, with `manage` or `read` rights.
 */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'app'; appId: string }
  | { kind: 'portal'; appId: string; capability: PortalCapability; sessionId: string };

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

/** The app that `/v1/apps/:app_id/...` names, once `scopeToApp` has checked access to it. */
export function scopedApp(res: Response): AppRow {
  return res.locals.app as AppRow;
}

/**
 * Requires `Authorization: Bearer <key>`: the admin key (compared in constant time) or an app key (looked up by its
 * SHA-256, so the database never compares the key itself).
 */
export function requireApiKey(deps: { db: Db; adminApiKey: string; secrets: SecretBox }): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new ApiError('unauthorized', 'Missing API key: send it as "Authorization: Bearer <key>"');
    }
    const key = match[1]!;
    if (apiKeyMatches(key, deps.adminApiKey)) {
      res.locals.principal = { kind: 'admin' } satisfies Principal;
      return next();
    }
    if (looksLikePortalToken(key)) {
      const check = await portalTokensFor(deps.secrets).verify(key);
      if (!check.ok) {
        throw check.reason === 'expired'
          ? new ApiError('portal_session_expired', 'This portal session has expired: ask for a new portal link')
          : new ApiError('unauthorized', 'Invalid API key');
      }
      const { appId, capability, sessionId, epoch } = check.session;
      const app = await findApp(deps.db, appId);
      if (!app || app.portal_epoch !== epoch) {
        throw new ApiError('portal_session_revoked', 'This portal session was revoked: ask for a new portal link');
      }
      res.locals.principal = { kind: 'portal', appId, capability, sessionId } satisfies Principal;
      res.locals.keyApp = app;
      return next();
    }
    const app = key.startsWith('cwk_') ? await findAppByKeyHash(deps.db, hashApiKey(key)) : undefined;
    if (!app) throw new ApiError('unauthorized', 'Invalid API key');
    res.locals.principal = { kind: 'app', appId: app.id } satisfies Principal;
    // The key's own app, read with the key: scopeToApp need not read it again.
    res.locals.keyApp = app;
    next();
  };
}

export const requireAdmin: RequestHandler = (_req, res, next) => {
  if (principalOf(res).kind !== 'admin') throw new ApiError('forbidden', 'Only the admin key can do this');
  next();
};

/**
 * Guards every `/v1/apps/:app_id/...` route: the app must exist and the key must reach it. Another app's id answers
 * exactly as an unknown one does, so a key never learns which apps exist.
 */
export function scopeToApp(deps: { db: Db }): RequestHandler {
  return async (req, res, next) => {
    const appId = (req.params as { app_id: string }).app_id;
    const principal = principalOf(res);
    const reachable = isPlausibleId(appId) && (principal.kind === 'admin' || principal.appId === appId);
    const keyApp = res.locals.keyApp as AppRow | undefined;
    const app = !reachable ? undefined : keyApp?.id === appId ? keyApp : await findApp(deps.db, appId);
    if (!app) throw notFound(`App ${appId}`);
    res.locals.app = app;
    next();
  };
}

/** Write routes take JSON only: anything else is a 415 naming what was sent. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    const sent = req.get('content-type');
    throw new ApiError(
      'unsupported_media_type',
      sent ? `Content-Type must be application/json, not ${sent}` : 'Content-Type must be application/json',
    );
  }
  next();
};
