/**
 * /v1/apps/{app_id}/portal-sessions: links that open the embeddable portal for one app. The platform asks for one
 * with the admin key or the app's key and puts it in its app settings; the token rides in the URL fragment, so it
 * never reaches a server log or a Referer header.
 */
import { z } from 'zod';

import { bumpPortalEpoch } from '../../db/queries/apps';
import { parseDuration } from '../../domain/durations';
import { PORTAL_CAPABILITIES, portalTokensFor } from '../../security/portal-token';
import { notFound } from '../errors';
import { appParams, durationField, timestamp } from '../fields';
import { defineRoute } from '../route';

const MAX_EXPIRES_IN_MS = 7 * 86_400_000;

const themeSchema = z.strictObject({
  primary_color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'a colour such as #4f46e5')
    .optional()
    .describe('The portal\u2019s accent colour, as #rrggbb.'),
  mode: z.enum(['light', 'dark']).optional(),
  hide_header: z.boolean().optional().describe('Hide the portal\u2019s own header, when the page around it has one.'),
});

export const createPortalSessionBodySchema = z
  .strictObject({
    capabilities: z
      .enum(PORTAL_CAPABILITIES)
      .default('manage')
      .describe('manage (default): set up and change webhooks; read: see everything, change nothing, no secrets.'),
    expires_in: durationField({ minMs: 60_000, maxMs: MAX_EXPIRES_IN_MS }, 'a whole duration from 1m to 7d, such as 1h')
      .default('1h')
      .describe('How long the link works: a whole duration from 1m to 7d. Default 1h.'),
    theme: themeSchema.optional(),
  })
  .meta({ id: 'CreatePortalSessionBody' });

const portalSessionSchema = z
  .object({
    url: z.string().describe('Open it, or put it in an iframe: the token is in the fragment.'),
    token: z.string().describe('The session\u2019s bearer token, for the API, if you build your own front end.'),
    session_id: z.string(),
    capabilities: z.enum(PORTAL_CAPABILITIES),
    expires_at: timestamp,
  })
  .meta({ id: 'PortalSession' });

export const portalSessionRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/portal-sessions',
    operationId: 'createPortalSession',
    tags: ['Apps'],
    summary: 'Open the portal for an app: a signed link',
    description:
      'Answers a link to the embeddable portal (`/portal/#token=...`) for this app, with manage or read rights, ' +
      'for up to 7 days. The portal calls this API with the token as its bearer: it reaches only this app, a read ' +
      'session changes nothing and reveals no secret, and no session reaches admin routes or mints other sessions.',
    access: 'key',
    portal: 'none',
    params: appParams,
    body: createPortalSessionBodySchema,
    responses: { 201: { description: 'The link and its token.', schema: portalSessionSchema } },
  }).handle(async ({ body }, ctx) => {
    const expiresAt = new Date(Date.now() + (parseDuration(body.expires_in) as number));
    const { token, sessionId } = await portalTokensFor(ctx.deps.secrets).issue({
      appId: ctx.app.id,
      capability: body.capabilities,
      epoch: ctx.app.portal_epoch,
      expiresAt,
      ...(body.theme ? { theme: body.theme } : {}),
    });
    const origin = `${ctx.req.protocol}://${ctx.req.get('host') ?? 'localhost'}`;
    return {
      status: 201,
      body: {
        url: `${ctx.deps.portalBaseUrl ?? origin}/portal/#token=${token}`,
        token,
        session_id: sessionId,
        capabilities: body.capabilities,
        expires_at: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString(),
      },
    };
  }),

  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/portal-sessions/revoke',
    operationId: 'revokePortalSessions',
    tags: ['Apps'],
    summary: 'End every portal session of an app',
    description: 'Every link issued before this call stops working at once; links issued after it work.',
    access: 'key',
    portal: 'none',
    params: appParams,
    responses: { 204: { description: 'Revoked.' } },
  }).handle(async (_input, ctx) => {
    if ((await bumpPortalEpoch(ctx.deps.db, ctx.app.id)) === undefined) throw notFound(`App ${ctx.app.id}`);
    return { status: 204 };
  }),
];
