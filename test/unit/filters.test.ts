import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { sampleChatEvent } from '../../src/domain/event-catalogue';
import type { ChatEvent } from '../../src/domain/events';
import { checkFilter, evaluateFilter, FILTER_MAX_LENGTH, filterContext } from '../../src/domain/filters';

const base = sampleChatEvent('message_sent', {
  appId: 'app_1',
  eventId: 'evt_1',
  occurredAt: '2024-01-01T12:00:00.000Z',
});
const event = (patch: Partial<ChatEvent>): ChatEvent => ({ ...base, ...patch });

describe('filters', () => {
  test("the issue's example is valid and matches what it says", () => {
    const expr = 'user.logged_in && message.contains("refund")';
    assert.equal(checkFilter(expr), undefined);
    assert.deepEqual(evaluateFilter(expr, filterContext(event({ message: 'I want a refund' }))), { matched: true });
    assert.deepEqual(evaluateFilter(expr, filterContext(event({ message: 'hello' }))), { matched: false });
    const anonymous = event({ message: 'refund', user: { id: null, email: null, name: null, loggedIn: false } });
    assert.deepEqual(evaluateFilter(expr, filterContext(anonymous)), { matched: false });
  });

  test('absent values are empty strings and false, so methods on them never fail', () => {
    const signup = sampleChatEvent('user_signup', { appId: 'a', eventId: 'e', occurredAt: base.occurredAt });
    const ctx = filterContext({ ...signup, user: null });
    assert.deepEqual(evaluateFilter('message == "" && !user.logged_in && user.email.size() == 0', ctx), {
      matched: true,
    });
    assert.deepEqual(evaluateFilter('event_type == "user_signup" && conversation_id == ""', ctx), { matched: true });
  });

  test('timestamps and case-insensitive text', () => {
    const ctx = filterContext(event({ message: 'REFUND please' }));
    assert.deepEqual(evaluateFilter('timestamp.getHours("UTC") == 12', ctx), { matched: true });
    assert.deepEqual(evaluateFilter('message.lowerAscii().startsWith("refund")', ctx), { matched: true });
  });

  test('a syntax error names its code and where it is', () => {
    assert.deepEqual(checkFilter('message.contains('), {
      code: 'unexpected_token',
      message: 'Unexpected token: EOF',
      position: { start: 17, end: 17 },
    });
  });

  test('an unknown field, a wrong type and a non-bool result are refused at save', () => {
    assert.deepEqual(checkFilter('user.logged_n'), {
      code: 'no_such_key',
      message: 'No such key: logged_n',
      position: { start: 5, end: 13 },
    });
    assert.equal(checkFilter('message + 1')?.code, 'no_such_overload');
    assert.equal(checkFilter('nobody == "x"')?.code !== undefined, true);
    assert.equal(checkFilter('message')?.code, 'not_bool');
  });

  test('unbounded parts of CEL are refused, pointing at them', () => {
    const nested = 'message.size() > 0 && [1,2,3].all(a, [1,2,3].all(b, a < b))';
    assert.deepEqual(checkFilter(nested), {
      code: 'not_allowed',
      message: '.all() is not available in filters',
      position: { start: 22, end: nested.length },
    });
    assert.equal(checkFilter('message.matches("(a+)+$")')?.code, 'not_allowed');
    assert.equal(checkFilter('cel.bind(m, message, m.size() > 2)')?.code, 'not_allowed');
    assert.equal(checkFilter('x'.repeat(FILTER_MAX_LENGTH + 1))?.code, 'too_long');
    const deep = `${'('.repeat(60)}true${')'.repeat(60)}`;
    assert.ok(checkFilter(deep), 'nesting beyond the depth limit is refused');
  });

  test('an error while running does not match and says only its code', () => {
    const outcome = evaluateFilter('message.substring(500) == ""', filterContext(event({ message: 'secret text' })));
    assert.equal(outcome.matched, false);
    assert.ok('error' in outcome && outcome.error.startsWith('filter error: '));
    assert.ok(!('error' in outcome && outcome.error.includes('secret')));
  });
});
