import { Router } from 'express';
import { z } from 'zod';

import { chatEventBodySchema, identifier, toChatEvent } from '../../domain/event-body';
import { acceptEvent, type EventServiceDeps } from '../../services/events';
import { requireJson, scopedApp } from '../auth';
import { ApiError, parseOr400 } from '../errors';

const idempotencyKeySchema = identifier(200).optional();

export function createEventsRouter(deps: EventServiceDeps): Router {
  const router = Router({ mergeParams: true });

  router.post('/', requireJson, async (req, res) => {
    // scopeToApp found the app and checked the key reaches it.
    const appId = scopedApp(res).id;
    const body = parseOr400(chatEventBodySchema, req.body);
    const headerKey = parseOr400(
      z.object({ 'Idempotency-Key': idempotencyKeySchema }),
      { 'Idempotency-Key': req.get('idempotency-key') },
      'header',
    )['Idempotency-Key'];
    if (body.id !== undefined && headerKey !== undefined && body.id !== headerKey) {
      throw new ApiError(
        400,
        'validation_failed',
        'id and the Idempotency-Key header differ; send one, or the same value in both',
        [{ field: 'id', message: 'differs from Idempotency-Key' }],
      );
    }
    const eventId = body.id ?? headerKey;
    if (eventId === undefined) {
      throw new ApiError(
        400,
        'validation_failed',
        'Invalid request body: id: required (or send an Idempotency-Key header)',
        [{ field: 'id', message: 'required, unless an Idempotency-Key header is sent' }],
      );
    }

    const result = await acceptEvent(deps, toChatEvent(appId, eventId, body, new Date()));
    switch (result.outcome) {
      case 'accepted':
        res.status(202).json({ event_id: eventId, workflow_id: result.workflowId, status: 'accepted' });
        return;
      case 'duplicate':
        res.status(200).json({ event_id: eventId, workflow_id: result.workflowId, status: 'duplicate' });
        return;
      case 'temporal_unavailable':
        res.set('retry-after', '5');
        throw new ApiError(
          503,
          'temporal_unavailable',
          'The workflow engine is unreachable, so the event was not accepted. Retry later with the same id.',
        );
      default: {
        const unreachable: never = result;
        throw new Error(`unhandled outcome ${JSON.stringify(unreachable)}`);
      }
    }
  });

  return router;
}
