import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { trimTranscript } from '../../activities/conditions';
import { chatEventBodySchema, toChatEvent } from '../../src/domain/event-body';
import { buildPayload, DEFAULT_PRIVACY } from '../../src/domain/payload';

const app = { name: 'My App', privacy: DEFAULT_PRIVACY };
const received = new Date('2024-05-05T10:00:00Z');

function eventOf(body: unknown) {
  return toChatEvent('app_1', 'evt_1', chatEventBodySchema.parse(body), received);
}

describe('payload', () => {
  test('message_sent carries every seed field, in order, plus ids', () => {
    const payload = buildPayload(
      eventOf({
        type: 'message_sent',
        occurred_at: '2024-01-01T13:00:00+01:00',
        conversation_id: 'c1',
        user: { email: 'user@example.com', name: 'John Doe', logged_in: true },
        message: 'User message',
        response: 'App response message',
      }),
      app,
    );
    assert.equal(
      JSON.stringify(payload),
      JSON.stringify({
        event: 'Message sent',
        timestamp: '2024-01-01T12:00:00.000Z',
        app_name: 'My App',
        user_email: 'user@example.com',
        user_name: 'John Doe',
        last_message: 'User message',
        response: 'App response message',
        event_id: 'evt_1',
        app_id: 'app_1',
        conversation_id: 'c1',
      }),
    );
  });

  test('fields another event type has are null; occurred_at defaults to the time of receipt', () => {
    const payload = buildPayload(eventOf({ type: 'conversation_end', conversation_id: 'c1', message: 'stray' }), app);
    assert.equal(payload.event, 'Conversation end');
    assert.equal(payload.timestamp, '2024-05-05T10:00:00.000Z');
    assert.equal(payload.last_message, null);
    assert.equal(payload.response, null);
    assert.equal(payload.user_email, null);
  });

  test('user data only for logged-in users', () => {
    const payload = buildPayload(
      eventOf({ type: 'user_signup', user: { email: 'a@b.co', name: 'A', logged_in: false } }),
      app,
    );
    assert.equal(payload.event, 'New user signup');
    assert.equal(payload.user_email, null);
    assert.equal(payload.user_name, null);
  });

  test('privacy settings turn their fields into null', () => {
    const event = eventOf({
      type: 'message_sent',
      conversation_id: 'c1',
      user: { email: 'a@b.co', name: 'A', logged_in: true },
      message: 'm',
      response: 'r',
    });
    const payload = buildPayload(event, {
      name: 'X',
      privacy: { share_user_email: false, share_user_name: true, share_messages: false },
    });
    assert.equal(payload.user_email, null);
    assert.equal(payload.user_name, 'A');
    assert.equal(payload.last_message, null);
    assert.equal(payload.response, null);
  });
});

describe('transcript trimming', () => {
  test('keeps the newest turns within the character budget, oldest first', async () => {
    const turns = [
      { role: 'user' as const, text: 'a'.repeat(10) },
      { role: 'assistant' as const, text: 'b'.repeat(10) },
      { role: 'user' as const, text: 'c'.repeat(10) },
    ];
    assert.deepEqual(
      trimTranscript(turns, 25).map((t) => t.text[0]),
      ['b', 'c'],
    );
    assert.deepEqual(
      trimTranscript(turns, 30).map((t) => t.text[0]),
      ['a', 'b', 'c'],
    );
    // The newest turn alone is kept even when it is too long: its end, which is what was said last.
    assert.deepEqual(trimTranscript([{ role: 'user', text: 'x'.repeat(5) + 'y'.repeat(5) }], 5), [
      { role: 'user', text: 'yyyyy' },
    ]);
  });
});
