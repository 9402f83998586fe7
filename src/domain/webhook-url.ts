/**
 * Format rules for webhook URLs, checked when a webhook is saved. Pure code.
 * (Where the URL may point — private networks, metadata services — is checked separately, with DNS, at save and at
 * every delivery.)
 */
export const MAX_URL_LENGTH = 2048;

export function checkWebhookUrlFormat(
  raw: string,
  opts: { allowHttp: boolean },
): { ok: true; url: string } | { ok: false; reason: string } {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `URL is longer than ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not an absolute URL' };
  }
  // The URL parser would silently drop or escape these, saving a URL other than the one sent.
  if (/[\u0000-\u0020\u007f]/.test(raw))
    return { ok: false, reason: 'URL must not contain spaces or control characters' };
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, reason: `scheme ${url.protocol.replace(/:$/, '')} is not allowed; use https` };
  }
  if (url.protocol === 'http:' && !opts.allowHttp) {
    return { ok: false, reason: 'plain http is not allowed; use https (or set ALLOW_HTTP_WEBHOOKS=true)' };
  }
  if (url.username || url.password) return { ok: false, reason: 'URL must not contain a user name or password' };
  if (!url.hostname) return { ok: false, reason: 'URL has no host' };
  return { ok: true, url: url.href };
}
