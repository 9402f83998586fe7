/**
 * The conversation clock in Postgres, which the idle-timer workflow reads when its timer fires: its answers decide
 * whether "Conversation end" is sent, so each case is checked against the real database.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Client, Connection } from '@temporalio/client';

import { createConversationTracker } from '../../activities/conversations';
import {
  checkConversationIdle,
  endConversationByBackend,
  markConversationTimerArmed,
  noteConversationMessage,
} from '../../src/db/queries/conversations';
import type { ChatEvent } from '../../src/domain/events';
import { createLogger } from '../../src/logger';
import { freePortForChild } from '../../src/net/free-port';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
const user = { id: 'u_1', email: 'user@example.com', name: 'Jo', loggedIn: true };

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.stop();
});

/** Moves a conversation's last message into the past, as if that much time had gone by. */
async function age(conversationId: string, ms: number): Promise<void> {
  await db.pool.query(
    `UPDATE conversations SET last_message_at = last_message_at - make_interval(secs => $2::double precision / 1000) WHERE conversation_id = $1`,
    [conversationId, ms],
  );
}

test('the first message asks for a timer; once it is armed, later messages only move the clock', async () => {
  assert.deepEqual(await noteConversationMessage(db.pool, { appId: 'app_1', conversationId: 'c1', user }), {
    timerArmed: false,
    ended: false,
    quietForMs: null,
  });
  await markConversationTimerArmed(db.pool, 'app_1', 'c1');
  await age('c1', 90_000);
  const later = await noteConversationMessage(db.pool, { appId: 'app_1', conversationId: 'c1', user: null });
  assert.deepEqual({ ...later, quietForMs: undefined }, { timerArmed: true, ended: false, quietForMs: undefined });
  assert.ok(
    later.quietForMs! >= 90_000 && later.quietForMs! < 100_000,
    `quiet for ${later.quietForMs} ms before this message`,
  );
  const { rows } = await db.pool.query('SELECT last_user FROM conversations WHERE conversation_id = $1', ['c1']);
  assert.deepEqual(rows[0].last_user, user, 'a message without a user keeps the last user seen');
});

test('a conversation with a recent message is active, for the rest of its idle time', async () => {
  await noteConversationMessage(db.pool, { appId: 'app_1', conversationId: 'c2', user });
  await age('c2', 10_000);
  const check = await checkConversationIdle(db.pool, 'app_1', 'c2', 60_000);
  assert.equal(check.kind, 'active');
  if (check.kind === 'active') assert.ok(check.idleInMs > 45_000 && check.idleInMs <= 50_000, String(check.idleInMs));
});

test('a quiet conversation is ended by idleness, with its last user; asking again still says idle', async () => {
  await noteConversationMessage(db.pool, { appId: 'app_1', conversationId: 'c3', user });
  await age('c3', 61_000);
  assert.deepEqual(await checkConversationIdle(db.pool, 'app_1', 'c3', 60_000), { kind: 'idle', user });
  // A retried check (its first answer never reached the workflow) must not lose the end it decided.
  assert.deepEqual(await checkConversationIdle(db.pool, 'app_1', 'c3', 60_000), { kind: 'idle', user });
  // A message after the end does not reopen it, and needs no timer.
  assert.equal((await noteConversationMessage(db.pool, { appId: 'app_1', conversationId: 'c3', user })).ended, true);
  // The idle end's own conversation_end event finds no timer to stop.
  assert.deepEqual(await endConversationByBackend(db.pool, 'app_1', 'c3'), { timerMayRun: false });
});

test('a conversation the backend ended is not ended again by idleness', async () => {
  await noteConversationMessage(db.pool, { appId: 'app_1', conversationId: 'c4', user });
  await markConversationTimerArmed(db.pool, 'app_1', 'c4');
  assert.deepEqual(await endConversationByBackend(db.pool, 'app_1', 'c4'), { timerMayRun: true });
  await age('c4', 61_000);
  assert.deepEqual(await checkConversationIdle(db.pool, 'app_1', 'c4', 60_000), { kind: 'ended' });
});

test('a conversation with no clock (timed by signals before clocks existed) is idle when its timer says so', async () => {
  assert.deepEqual(await checkConversationIdle(db.pool, 'app_1', 'never-seen', 60_000), { kind: 'idle', user: null });
  assert.deepEqual(await endConversationByBackend(db.pool, 'app_1', 'never-seen'), { timerMayRun: true });
});

test('conversations of different apps do not share a clock', async () => {
  await noteConversationMessage(db.pool, { appId: 'app_a', conversationId: 'same', user });
  await markConversationTimerArmed(db.pool, 'app_a', 'same');
  assert.deepEqual(await noteConversationMessage(db.pool, { appId: 'app_b', conversationId: 'same', user }), {
    timerArmed: false,
    ended: false,
    quietForMs: null,
  });
});

test('a timer that cannot be started does not hold up the event; the next message tries again', async () => {
  // A Temporal address nothing listens on.
  const deadPort = await freePortForChild();
  const connection = Connection.lazy({ address: `127.0.0.1:${deadPort}` });
  try {
    const tracker = createConversationTracker({
      db: db.pool,
      logger: createLogger('silent'),
      conversations: { client: new Client({ connection }), taskQueue: 'none', idleTimeoutMs: 60_000 },
    });
    const event: ChatEvent = {
      appId: 'app_1',
      eventId: 'e1',
      type: 'message_sent',
      occurredAt: new Date().toISOString(),
      conversationId: 'c-dead',
      user,
      message: 'hi',
      response: 'hello',
    };
    const started = Date.now();
    assert.equal(await tracker.trackConversation(event), 'not_armed');
    assert.ok(Date.now() - started < 10_000, 'gave up within its time limit');
    const { rows } = await db.pool.query('SELECT timer_armed FROM conversations WHERE conversation_id = $1', [
      'c-dead',
    ]);
    assert.equal(rows[0].timer_armed, false, 'not marked armed, so the next message starts it');
  } finally {
    await connection.close().catch(() => undefined);
  }
});
