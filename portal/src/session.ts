/**
 * The portal session: the token the platform put in the link's fragment (`/portal/#token=<JWT>&mode=dark…`), kept in
 * sessionStorage for reloads (in memory when storage is refused, as in a sandboxed iframe), and its claims read for
 * display. The server checks the token on every call; nothing here is a security decision.
 */
import { decodeJwt } from 'jose';

export type Capability = 'manage' | 'read';
export type ThemeMode = 'light' | 'dark';

export interface Theme {
  primary_color?: string;
  mode?: ThemeMode;
  hide_header?: boolean;
}

export interface Session {
  token: string;
  appId: string;
  capability: Capability;
  /** Session id (the token's jti). */
  sessionId: string;
  expiresAt: Date | null;
  /** The token's theme with the link's own fragment values over it. */
  theme: Theme;
}

/** Why there is no usable session: no token at all, or one that cannot be a portal token. */
export type SessionOutcome = { kind: 'ok'; session: Session } | { kind: 'missing' } | { kind: 'invalid' };

const TOKEN_KEY = 'chat-webhooks.portal.token';
const THEME_KEY = 'chat-webhooks.portal.theme';
const COLOR = /^#[0-9a-f]{6}$/i;

/** sessionStorage, or a Map when the browser refuses storage (sandboxed iframes, some privacy modes). */
const memory = new Map<string, string>();
const store = {
  get(key: string): string | null {
    try {
      return window.sessionStorage.getItem(key);
    } catch {
      return memory.get(key) ?? null;
    }
  },
  set(key: string, value: string): void {
    try {
      window.sessionStorage.setItem(key, value);
    } catch {
      memory.set(key, value);
    }
  },
};

/** The theme values a link's fragment may carry, checked one by one: a bad value is ignored, not an error. */
export function themeFromParams(params: URLSearchParams): Theme {
  const theme: Theme = {};
  const color = params.get('primary_color');
  if (color && COLOR.test(color)) theme.primary_color = color;
  const mode = params.get('mode');
  if (mode === 'light' || mode === 'dark') theme.mode = mode;
  const hide = params.get('hide_header');
  if (hide === '1' || hide === 'true') theme.hide_header = true;
  else if (hide === '0' || hide === 'false') theme.hide_header = false;
  return theme;
}

function themeFromClaim(claim: unknown): Theme {
  if (typeof claim !== 'object' || claim === null) return {};
  const { primary_color, mode, hide_header } = claim as Record<string, unknown>;
  const theme: Theme = {};
  if (typeof primary_color === 'string' && COLOR.test(primary_color)) theme.primary_color = primary_color;
  if (mode === 'light' || mode === 'dark') theme.mode = mode;
  if (typeof hide_header === 'boolean') theme.hide_header = hide_header;
  return theme;
}

function parseStoredTheme(text: string | null): Theme {
  if (!text) return {};
  try {
    return themeFromClaim(JSON.parse(text));
  } catch {
    return {};
  }
}

/** The claims of a token, or undefined when it is not a portal token at all. */
export function sessionFromToken(token: string, linkTheme: Theme): Session | undefined {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch {
    return undefined;
  }
  const cap = claims['cap'];
  if (typeof claims.sub !== 'string' || (cap !== 'manage' && cap !== 'read')) return undefined;
  return {
    token,
    appId: claims.sub,
    capability: cap,
    sessionId: typeof claims.jti === 'string' ? claims.jti : '',
    expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null,
    theme: { ...themeFromClaim(claims['theme']), ...linkTheme },
  };
}

/**
 * Reads the session once at start: a token in the fragment replaces any stored one (with its link theme), and the
 * fragment is dropped from the address bar and history so the token is not left in view or bookmarked.
 */
export function loadSession(): SessionOutcome {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const fromLink = fragment.get('token');
  if (fromLink) {
    store.set(TOKEN_KEY, fromLink);
    store.set(THEME_KEY, JSON.stringify(themeFromParams(fragment)));
    const { pathname, search } = window.location;
    window.history.replaceState(window.history.state, '', pathname + search);
  }
  const token = fromLink ?? store.get(TOKEN_KEY);
  if (!token) return { kind: 'missing' };
  const session = sessionFromToken(token, parseStoredTheme(store.get(THEME_KEY)));
  return session ? { kind: 'ok', session } : { kind: 'invalid' };
}

/** Why the server stopped accepting the session, once any call was answered 401. */
export type SessionEnd = 'expired' | 'revoked' | 'invalid';

let ended: SessionEnd | null = null;
const listeners = new Set<() => void>();

export function endSession(reason: SessionEnd): void {
  if (ended) return;
  ended = reason;
  for (const listener of listeners) listener();
}

export function subscribeSessionEnd(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function sessionEnd(): SessionEnd | null {
  return ended;
}
