/**
 * Portal sessions: a signed token (a JWT, HS256, through `jose`) that lets the embedded portal call the API for one
 * app, with `manage` or `read` rights, until it expires. The signing key is derived from SECRETS_KEY, so every API
 * process verifies what any of them issued. Revocation is an epoch on the app: a token carries the epoch it was
 * issued in, and `revoke` moves the app's epoch on, so every earlier token stops working at once.
 */
import crypto from 'node:crypto';

import type * as JoseModule from 'jose' with { 'resolution-mode': 'import' };

import type { SecretBox } from './secret-box';

type Jose = typeof JoseModule;

export const PORTAL_CAPABILITIES = ['manage', 'read'] as const;
export type PortalCapability = (typeof PORTAL_CAPABILITIES)[number];

export interface PortalTheme {
  primary_color?: string;
  mode?: 'light' | 'dark';
  hide_header?: boolean;
}

export interface PortalSession {
  appId: string;
  capability: PortalCapability;
  sessionId: string;
  epoch: number;
  expiresAt: Date;
  theme?: PortalTheme;
}

export type PortalTokenCheck = { ok: true; session: PortalSession } | { ok: false; reason: 'expired' | 'invalid' };

const ISSUER = 'chat-webhooks';
const AUDIENCE = 'chat-webhooks-portal';

/** A token is recognised by its shape before any key is tried: three base64url parts, a JWT header first. */
export function looksLikePortalToken(bearer: string): boolean {
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(bearer);
}

// jose is an ES module: loaded once, on first use.
let joseModule: Promise<Jose> | undefined;
const jose = () => (joseModule ??= import('jose'));

export function createPortalTokens(secrets: SecretBox) {
  const key = secrets.deriveKey('portal-session');
  return {
    async issue(input: Omit<PortalSession, 'sessionId'>): Promise<{ token: string; sessionId: string }> {
      const { SignJWT } = await jose();
      const sessionId = `ps_${crypto.randomUUID().replaceAll('-', '')}`;
      const token = await new SignJWT({
        cap: input.capability,
        epoch: input.epoch,
        ...(input.theme ? { theme: input.theme } : {}),
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(input.appId)
        .setJti(sessionId)
        .setIssuedAt()
        .setExpirationTime(Math.floor(input.expiresAt.getTime() / 1000))
        .sign(key);
      return { token, sessionId };
    },

    async verify(token: string): Promise<PortalTokenCheck> {
      const { jwtVerify, errors } = await jose();
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
        const cap = payload.cap;
        if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || typeof payload.exp !== 'number')
          return { ok: false, reason: 'invalid' };
        if (cap !== 'manage' && cap !== 'read') return { ok: false, reason: 'invalid' };
        if (typeof payload.epoch !== 'number') return { ok: false, reason: 'invalid' };
        return {
          ok: true,
          session: {
            appId: payload.sub,
            capability: cap,
            sessionId: payload.jti,
            epoch: payload.epoch,
            expiresAt: new Date(payload.exp * 1000),
            ...(payload.theme ? { theme: payload.theme as PortalTheme } : {}),
          },
        };
      } catch (error) {
        return { ok: false, reason: error instanceof errors.JWTExpired ? 'expired' : 'invalid' };
      }
    },
  };
}

export type PortalTokens = ReturnType<typeof createPortalTokens>;

// One signer per secret box: the key is derived once, and the API's auth and its session routes share it.
const signers = new WeakMap<SecretBox, PortalTokens>();

export function portalTokensFor(secrets: SecretBox): PortalTokens {
  let signer = signers.get(secrets);
  if (!signer) signers.set(secrets, (signer = createPortalTokens(secrets)));
  return signer;
}
