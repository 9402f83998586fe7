import type { Queryable } from '../pool';

export interface EventRow {
  app_id: string;
  event_id: string;
  type: string;
  conversation_id: string | null;
  workflow_id: string;
  received_at: Date;
}

export async function findEvent(db: Queryable, appId: string, eventId: string): Promise<EventRow | undefined> {
  const { rows } = await db.query<EventRow>('SELECT * FROM events WHERE app_id = $1 AND event_id = $2', [
    appId,
    eventId,
  ]);
  return rows[0];
}

/** Records an accepted event; recording it again is a no-op. */
export async function recordEvent(
  db: Queryable,
  e: { appId: string; eventId: string; type: string; conversationId: string | null; workflowId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO events (app_id, event_id, type, conversation_id, workflow_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (app_id, event_id) DO NOTHING`,
    [e.appId, e.eventId, e.type, e.conversationId, e.workflowId],
  );
}
