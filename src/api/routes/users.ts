/** Erasure of one user of an app: the backend's "delete my account". */
import { z } from 'zod';

import { identifier } from '../../domain/event-body';
import { eraseAppUser } from '../../services/erasure';
import { appParams } from '../fields';
import { defineRoute } from '../route';

const count = z.int().min(0);

export const userErasureSchema = z
  .object({
    deliveries_redacted: count.describe('Deliveries whose payload and attempts\u2019 response excerpts were deleted.'),
    deliveries_ended: count.describe('Of those, deliveries that were waiting for a retry: ended, never sent.'),
    transcripts_deleted: count.describe('Conversation turns (messages and responses) deleted.'),
    conversations_ended: count.describe('Conversation clocks ended and stripped of the user.'),
    evaluations_deleted: count.describe('Condition evaluations deleted.'),
  })
  .meta({ id: 'UserErasure' });

export const userRoutes = [
  defineRoute({
    method: 'delete',
    path: '/v1/apps/{app_id}/users/{user_id}',
    operationId: 'eraseUser',
    tags: ['Apps'],
    summary: "Erase one user's data",
    description:
      'For the backend\'s "delete my account": deletes the user\'s conversation transcripts, conversation clocks and ' +
      'condition evaluations, and redacts the payloads and response excerpts of their deliveries (the rows stay, ' +
      'with erased_at). Deliveries waiting for a retry are ended, not sent. Only data written since user keys exist ' +
      'can be found by user id. Answers with counts; a second call answers zeros.',
    access: 'key',
    portal: 'none',
    params: appParams.extend({
      user_id: identifier(200).describe('The user id the backend sends as user.id in events.'),
    }),
    responses: { 200: { description: 'What was erased.', schema: userErasureSchema } },
  }).handle(async ({ params }, ctx) => {
    const counts = await eraseAppUser(ctx.deps, ctx.app.id, params.user_id);
    return { status: 200, body: counts };
  }),
];
