/**
 * POST /v1/apps/{app_id}/url-checks: the service's verdict on a URL it would call, before anything is saved, so a
 * settings form can show the server's own reason (not https, a private address, a name that does not resolve) as
 * the owner types. The same check runs again when the webhook is saved and at every attempt.
 */
import { z } from 'zod';

import { text } from '../../domain/event-body';
import { MAX_URL_LENGTH } from '../../domain/webhook-url';
import { checkDestination } from '../../security/destination';
import { appParams } from '../fields';
import { defineRoute } from '../route';

const urlCheckBodySchema = z
  .strictObject({
    // Anything storable: NUL is the one character no string in this API may hold.
    url: text(MAX_URL_LENGTH * 2).describe(
      'What the owner typed, as it is: anything that is not a usable URL gets its reason.',
    ),
  })
  .meta({ id: 'UrlCheckBody' });

const urlCheckSchema = z
  .object({
    allowed: z.boolean().describe('Whether a webhook or alert_url with this URL would be saved.'),
    url: z.string().nullable().describe('The URL as it would be saved and called; null when it is not a URL.'),
    reason: z.string().nullable().describe('Why it is refused; null when allowed.'),
    warning: z
      .string()
      .nullable()
      .describe(
        'Allowed, but may not work as it is: the host does not resolve now (it is checked again at each attempt).',
      ),
  })
  .meta({ id: 'UrlCheck' });

export const urlCheckRoutes = [
  defineRoute({
    method: 'post',
    path: '/v1/apps/{app_id}/url-checks',
    operationId: 'checkUrl',
    tags: ['Webhooks'],
    summary: 'Check a destination URL before saving it',
    description:
      'Answers whether the service would accept this URL for a webhook or an alert_url, and why not, with the same ' +
      'rules as saving (absolute https, or http where the service allows it; no address that is not globally ' +
      'reachable, literal or resolved, and the reason names its special-purpose range). Saves nothing.',
    access: 'key',
    params: appParams,
    body: urlCheckBodySchema,
    responses: { 200: { description: 'The verdict.', schema: urlCheckSchema } },
  }).handle(async ({ body }, ctx) => {
    const check = await checkDestination(body.url, ctx.deps.destination, ctx.deps.destination.resolver);
    if (check.ok) return { status: 200, body: { allowed: true, url: check.url, reason: null, warning: null } };
    if (check.unresolved) {
      return {
        status: 200,
        body: {
          allowed: true,
          url: check.unresolved.url,
          reason: null,
          warning: `${check.reason} now; each attempt resolves it again`,
        },
      };
    }
    return { status: 200, body: { allowed: false, url: null, reason: check.reason, warning: null } };
  }),
];
