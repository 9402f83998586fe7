/**
 * The delivery log API: filtered newest-first listing with cursors, one delivery with its payload and attempts, and a
 * webhook's attempt statistics, over real deliveries made by the worker to real receivers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { temporalWorkflowUrl } from '../../src/api/routes/deliveries';
import { type AttemptRow, listAttempts } from '../../src/db/queries/deliveries';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiverA: Receiver;
let receiverB: Receiver;

// App A has two webhooks: A1 (message_sent and user_signup, on receiverA) and A2 (message_sent, on receiverB).
// Four events, each finished before the next is posted, make seven deliveries:
//   e1 message_sent conv_a: A1 200, A2 200
//   e2 user_signup:         A1 200
//   e3 message_sent conv_b: A1 500 then 200, A2 200
//   e4 message_sent conv_a: A1 503, 503 (failed: RETRY_SCHEDULE '1s' allows two attempts), A2 200
let appA: { appId: string; appKey: string; webhookId: string };
let a1: string;
let a2: string;
let appB: { appId: string; appKey: string; webhookId: string };
const events: Record<'e1' | 'e2' | 'e3' | 'e4', Record<string, unknown>> = {
  e1: messageEvent({ conversation_id: 'conv_a' }),
  e2: { id: `signup-${Date.now()}`, type: 'user_signup', user: { email: 'ada@example.com', logged_in: true } },
  e3: messageEvent({ conversation_id: 'conv_b' }),
  e4: messageEvent({ conversation_id: 'conv_a' }),
};
/** What each receiver got, by event id. */
const bodies = new Map<string, string>();

async function postAndWait(appId: string, event: Record<string, unknown>): Promise<void> {
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await stack.client.workflow.getHandle(res.body.workflow_id).result();
}

type Summary = Record<string, any>;

/** Every page of a listing, following next_cursor. */
async function listAll(
  appId: string,
  query: Record<string, string>,
  key?: string,
): Promise<{ items: Summary[]; pages: number }> {
  const items: Summary[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const qs = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
    const res = await stack.request('GET', `/v1/apps/${appId}/deliveries?${qs}`, undefined, key ? { key } : {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    items.push(...res.body.data);
    cursor = res.body.next_cursor;
    pages++;
    assert.ok(pages <= 20, 'pagination ends');
  } while (cursor);
  return { items, pages };
}

before(async () => {
  stack = await startStack({ retrySchedule: '1s' });
  [receiverA, receiverB] = await Promise.all([startReceiver(), startReceiver()]);

  appA = await stack.createAppWithWebhook(receiverA.url, { name: 'Log App', events: ['message_sent', 'user_signup'] });
  a1 = appA.webhookId;
  const second = await stack.request('POST', `/v1/apps/${appA.appId}/webhooks`, {
    url: receiverB.url,
    events: ['message_sent'],
  });
  assert.equal(second.status, 201);
  a2 = second.body.id;
  appB = await stack.createAppWithWebhook(receiverB.url, { name: 'Other App' });

  await postAndWait(appA.appId, events.e1);
  await postAndWait(appA.appId, events.e2);
  receiverA.answer({ status: 500, body: 'boom' });
  await postAndWait(appA.appId, events.e3);
  receiverA.answer({ status: 503, body: 'down' }, { status: 503, body: 'down' });
  await postAndWait(appA.appId, events.e4);

  assert.equal(receiverA.requests.length, 6);
  assert.equal(receiverB.requests.length, 3);
  for (const r of [...receiverA.requests, ...receiverB.requests]) {
    bodies.set(`${r.headers['webhook-id']}`, r.body);
  }
});

after(async () => {
  await Promise.all([receiverA.close(), receiverB.close()]);
  await stack.close();
});

describe('listing deliveries', () => {
  test('lists every delivery of the app newest first, in the summary shape', async () => {
    const res = await stack.request('GET', `/v1/apps/${appA.appId}/deliveries`);
    assert.equal(res.status, 200);
    assert.equal(res.body.next_cursor, null);
    const data: Summary[] = res.body.data;
    assert.deepEqual(
      data.map((d) => d.event_id),
      [events.e4.id, events.e4.id, events.e3.id, events.e3.id, events.e2.id, events.e1.id, events.e1.id],
    );
    // Newest first, ties (deliveries of one event share created_at) broken by id, descending.
    for (let i = 1; i < data.length; i++) {
      const [prev, cur] = [data[i - 1]!, data[i]!];
      assert.ok(
        prev.created_at > cur.created_at || (prev.created_at === cur.created_at && prev.id > cur.id),
        `row ${i} is older`,
      );
    }

    const failed = data.find((d) => d.event_id === events.e4.id && d.webhook_id === a1)!;
    assert.deepEqual(Object.keys(failed).sort(), [
      'attempt_count',
      'completed_at',
      'condition_id',
      'conversation_id',
      'created_at',
      'event_id',
      'event_type',
      'id',
      'is_test',
      'last_error',
      'last_status_code',
      'next_attempt_at',
      'status',
      'updated_at',
      'webhook_id',
      'workflow_id',
    ]);
    assert.match(failed.id, /^msg_[0-9a-f]{32}$/);
    assert.deepEqual(
      { ...failed, id: undefined, created_at: undefined, updated_at: undefined, completed_at: undefined },
      {
        id: undefined,
        webhook_id: a1,
        event_id: events.e4.id,
        event_type: 'message_sent',
        condition_id: null,
        conversation_id: 'conv_a',
        workflow_id: `chat-event:${appA.appId}:${events.e4.id}`,
        status: 'failed',
        attempt_count: 2,
        last_status_code: 503,
        last_error: 'http_status: HTTP 503',
        next_attempt_at: null,
        is_test: false,
        created_at: undefined,
        updated_at: undefined,
        completed_at: undefined,
      },
    );
    assert.ok(failed.completed_at >= failed.created_at);

    const signup = data.find((d) => d.event_id === events.e2.id)!;
    assert.equal(signup.conversation_id, null);
    assert.equal(signup.event_type, 'user_signup');
    assert.equal(signup.status, 'succeeded');
    assert.equal(signup.last_error, null);
  });

  test('pages of any size cover every delivery exactly once, in the same order, also under a filter', async () => {
    const { items: all } = await listAll(appA.appId, {});
    assert.equal(all.length, 7);
    for (const limit of [1, 2, 3, 6, 7, 100]) {
      const { items, pages } = await listAll(appA.appId, { limit: String(limit) });
      assert.deepEqual(
        items.map((d) => d.id),
        all.map((d) => d.id),
        `limit ${limit}`,
      );
      assert.equal(pages, Math.max(1, Math.ceil(7 / limit)), `limit ${limit}: no empty last page`);
    }
    const first = await stack.request('GET', `/v1/apps/${appA.appId}/deliveries?limit=3`);
    assert.equal(first.body.data.length, 3);
    assert.equal(typeof first.body.next_cursor, 'string');

    const { items: filtered } = await listAll(appA.appId, { webhook_id: a1, limit: '1' });
    assert.deepEqual(
      filtered.map((d) => d.id),
      all.filter((d) => d.webhook_id === a1).map((d) => d.id),
    );
  });

  test('each filter, alone and combined', async () => {
    const { items: all } = await listAll(appA.appId, {});
    const ids = async (query: Record<string, string>) => (await listAll(appA.appId, query)).items.map((d) => d.id);
    const expect = (pred: (d: Summary) => boolean) => all.filter(pred).map((d) => d.id);

    assert.deepEqual(
      await ids({ webhook_id: a2 }),
      expect((d) => d.webhook_id === a2),
    );
    assert.equal((await ids({ webhook_id: a2 })).length, 3);
    assert.deepEqual(await ids({ webhook_id: 'wh_nope' }), []);

    assert.deepEqual(
      await ids({ status: 'failed' }),
      expect((d) => d.event_id === events.e4.id && d.webhook_id === a1),
    );
    assert.equal((await ids({ status: 'succeeded' })).length, 6);
    assert.deepEqual(await ids({ status: 'pending' }), []);
    assert.deepEqual(await ids({ status: 'skipped' }), []);

    assert.deepEqual(
      await ids({ event_type: 'user_signup' }),
      expect((d) => d.event_id === events.e2.id),
    );
    assert.equal((await ids({ event_type: 'message_sent' })).length, 6);
    assert.deepEqual(await ids({ event_type: 'conversation_end' }), []);

    assert.deepEqual(
      await ids({ conversation_id: 'conv_a' }),
      expect((d) => d.event_id === events.e1.id || d.event_id === events.e4.id),
    );
    assert.equal((await ids({ conversation_id: 'conv_a' })).length, 4);
    assert.deepEqual(
      await ids({ conversation_id: 'conv_b' }),
      expect((d) => d.event_id === events.e3.id),
    );

    // since is inclusive, until exclusive: [e2, e4) holds e2 and e3.
    const createdAt = (e: keyof typeof events) => all.find((d) => d.event_id === events[e].id)!.created_at as string;
    assert.deepEqual(
      await ids({ since: createdAt('e2'), until: createdAt('e4') }),
      expect((d) => d.event_id === events.e2.id || d.event_id === events.e3.id),
    );
    assert.deepEqual(
      await ids({ since: createdAt('e4') }),
      expect((d) => d.event_id === events.e4.id),
    );
    assert.deepEqual(
      await ids({ until: createdAt('e2') }),
      expect((d) => d.event_id === events.e1.id),
    );
    // An offset other than Z means the same instant.
    const e3 = new Date(createdAt('e3'));
    const plusTwo = new Date(e3.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    assert.deepEqual(
      await ids({ since: plusTwo }),
      expect((d) => d.event_id === events.e3.id || d.event_id === events.e4.id),
    );
    assert.deepEqual(await ids({ since: '2999-01-01T00:00:00Z' }), []);

    assert.deepEqual(
      await ids({ webhook_id: a1, status: 'succeeded', event_type: 'message_sent' }),
      expect((d) => d.webhook_id === a1 && d.status === 'succeeded' && d.event_type === 'message_sent'),
    );
    assert.equal((await ids({ webhook_id: a1, status: 'succeeded', event_type: 'message_sent' })).length, 2);
    assert.deepEqual(
      await ids({ conversation_id: 'conv_a', webhook_id: a2, since: createdAt('e3') }),
      expect((d) => d.event_id === events.e4.id && d.webhook_id === a2),
    );
  });

  test('bad filters, unknown parameters and bad cursors answer 400 naming the field', async () => {
    const bad = async (query: string, field: string) => {
      const res = await stack.request('GET', `/v1/apps/${appA.appId}/deliveries?${query}`);
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'validation_failed', query);
      assert.ok(
        res.body.error.details.some((d: { field: string }) => d.field === field),
        `${query} names ${field}: ${JSON.stringify(res.body.error.details)}`,
      );
    };
    await bad('status=done', 'status');
    await bad('status=failed&status=pending', 'status');
    await bad('event_type=custom', 'event_type');
    await bad('since=yesterday', 'since');
    await bad('since=2024-01-01', 'since');
    await bad('until=2024-13-01T00:00:00Z', 'until');
    await bad('since=2024-01-01T00:00:00', 'since'); // no offset: which time zone is meant is unknown
    await bad('limit=0', 'limit');
    await bad('limit=101', 'limit');
    await bad('limit=ten', 'limit');
    await bad('app_id=x', 'app_id');
    await bad('sort=asc', 'sort');
    await bad('webhook_id=', 'webhook_id');
    await bad('cursor=not-a-cursor', 'cursor');
    await bad(`cursor=${Buffer.from('["2024-01-01T00:00:00.000000Z","msg_x"]').toString('base64url')}`, 'cursor');
    await bad('cursor=12345678901234567~msg_x', 'cursor'); // beyond 16 digits of microseconds
    await bad('cursor=0012~msg_x', 'cursor');
    await bad('cursor=12~', 'cursor');
    await bad(`cursor=12~${encodeURIComponent('msg x')}`, 'cursor');
  });

  test('a window whose until is before its since, or a made-up cursor, is an empty page or a page after it', async () => {
    const path = `/v1/apps/${appA.appId}/deliveries`;
    const empty = await stack.request('GET', `${path}?since=2024-02-01T00:00:00Z&until=2024-01-01T00:00:00Z`);
    assert.deepEqual([empty.status, empty.body], [200, { data: [], next_cursor: null }]);
    // Any string of the cursor's pattern is a place to start: 0 microseconds is 1970, before every delivery.
    const fromStart = await stack.request('GET', `${path}?cursor=0~msg_`);
    assert.deepEqual([fromStart.status, fromStart.body.data], [200, []]);
    // An offset Postgres does not take (beyond ±15:59) is converted to UTC first.
    const farOffset = await stack.request('GET', `${path}?since=${encodeURIComponent('1173-01-12T18:09:39.7+19:53')}`);
    assert.equal(farOffset.status, 200, JSON.stringify(farOffset.body));
  });
});

describe('one delivery', () => {
  test('answers the payload exactly as the receiver got it, every attempt in order, and the workflow', async () => {
    const { items } = await listAll(appA.appId, {});
    const retried = items.find((d) => d.event_id === events.e3.id && d.webhook_id === a1)!;
    const res = await stack.request('GET', `/v1/apps/${appA.appId}/deliveries/${retried.id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const detail = res.body;

    const { payload, attempts, workflow_url, payload_expired_at, erased_at, ...summary } = detail;
    assert.equal(payload_expired_at, null, 'a fresh delivery keeps its payload');
    assert.equal(erased_at, null);
    assert.deepEqual(summary, retried, 'the detail carries the summary fields, equal to the listing');
    const received = bodies.get(retried.id)!;
    assert.deepEqual(payload, JSON.parse(received));
    assert.equal(JSON.stringify(payload), received, 'the same bytes the receiver got');
    assert.equal(payload.event_id, events.e3.id);
    assert.equal(payload.conversation_id, 'conv_b');

    const workflowId = `chat-event:${appA.appId}:${events.e3.id}`;
    assert.equal(detail.workflow_id, workflowId);
    assert.equal(workflow_url, `http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    assert.equal(detail.status, 'succeeded');
    assert.equal(detail.attempt_count, 2);

    const stored = await listAttempts(stack.db.pool, retried.id);
    assert.equal(attempts.length, 2);
    assert.deepEqual(
      attempts,
      stored.map((a) => ({
        attempt: a.attempt,
        started_at: a.started_at.toISOString(),
        duration_ms: a.duration_ms,
        status_code: a.status_code,
        error_class: a.error_class,
        error_message: a.error_message,
        response_headers: a.response_headers,
        response_excerpt: a.response_excerpt,
        next_attempt_at: a.next_attempt_at?.toISOString() ?? null,
      })),
    );
    assert.deepEqual(
      attempts.map((a: Summary) => [a.attempt, a.status_code, a.error_class, a.error_message, a.response_excerpt]),
      [
        [1, 500, 'http_status', 'HTTP 500', 'boom'],
        [2, 200, null, null, '{"ok":true}'],
      ],
    );
    const [first, second] = detail.attempts;
    assert.ok(first.started_at < second.started_at);
    assert.equal(typeof first.next_attempt_at, 'string');
    assert.equal(second.next_attempt_at, null);
    assert.equal(first.response_headers['content-type'], 'application/json');
  });

  test('a failed delivery lists both failed attempts; the signup one has a single attempt', async () => {
    const { items } = await listAll(appA.appId, {});
    const failed = items.find((d) => d.status === 'failed')!;
    const res = await stack.request('GET', `/v1/apps/${appA.appId}/deliveries/${failed.id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.attempts.map((a: Summary) => [a.attempt, a.status_code, a.response_excerpt]),
      [
        [1, 503, 'down'],
        [2, 503, 'down'],
      ],
    );
    assert.equal(JSON.stringify(res.body.payload), bodies.get(failed.id));

    const signup = items.find((d) => d.event_id === events.e2.id)!;
    const one = await stack.request('GET', `/v1/apps/${appA.appId}/deliveries/${signup.id}`);
    assert.equal(one.body.attempts.length, 1);
    assert.equal(one.body.payload.event, 'New user signup');
    assert.equal(JSON.stringify(one.body.payload), bodies.get(signup.id));
  });

  test('an unknown delivery is 404', async () => {
    const res = await stack.request('GET', `/v1/apps/${appA.appId}/deliveries/msg_00000000000000000000000000000000`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
  });

  test('the Temporal UI link follows the configured base URL and namespace', () => {
    assert.equal(
      temporalWorkflowUrl(
        { baseUrl: 'https://temporal.example.com/ui/', namespace: 'chat prod' },
        'chat-event:app_1:evt/1',
      ),
      'https://temporal.example.com/ui/namespaces/chat%20prod/workflows/chat-event%3Aapp_1%3Aevt%2F1',
    );
  });
});

describe('app isolation', () => {
  test("another app's key, or another app's path, never reaches these deliveries", async () => {
    const { items } = await listAll(appA.appId, {});
    const id = items[0]!.id;

    // App A's own key reaches them.
    assert.equal((await listAll(appA.appId, {}, appA.appKey)).items.length, 7);
    assert.equal(
      (await stack.request('GET', `/v1/apps/${appA.appId}/deliveries/${id}`, undefined, { key: appA.appKey })).status,
      200,
    );

    // App B's key, on app A's paths: 404, as an unknown app.
    for (const path of [`/deliveries`, `/deliveries/${id}`, `/webhooks/${a1}/stats`]) {
      const res = await stack.request('GET', `/v1/apps/${appA.appId}${path}`, undefined, { key: appB.appKey });
      assert.equal(res.status, 404, path);
    }
    // App A's delivery and webhook under app B's path, even with the admin key: 404. App B's log is empty.
    assert.equal((await stack.request('GET', `/v1/apps/${appB.appId}/deliveries/${id}`)).status, 404);
    assert.equal((await stack.request('GET', `/v1/apps/${appB.appId}/webhooks/${a1}/stats`)).status, 404);
    const own = await stack.request('GET', `/v1/apps/${appB.appId}/deliveries`, undefined, { key: appB.appKey });
    assert.deepEqual(own.body, { data: [], next_cursor: null });
    assert.deepEqual(await listAll(appB.appId, { webhook_id: a1 }).then((r) => r.items), []);
  });
});

describe('webhook stats', () => {
  let app: { appId: string; webhookId: string };
  let receiver: Receiver;
  const stats = async (query = '', webhookId = app.webhookId) => {
    const res = await stack.request('GET', `/v1/apps/${app.appId}/webhooks/${webhookId}/stats${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  /** The webhook's attempts as stored, oldest first. */
  const storedAttempts = async () => {
    const { rows } = await stack.db.pool.query(
      `SELECT a.* FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
       WHERE d.webhook_id = $1 ORDER BY a.started_at, a.delivery_id, a.attempt`,
      [app.webhookId],
    );
    return rows as Array<
      Pick<
        AttemptRow,
        'delivery_id' | 'attempt' | 'started_at' | 'duration_ms' | 'status_code' | 'error_class' | 'error_message'
      >
    >;
  };
  /** percentile_cont: linear interpolation between the closest ranks, rounded to 0.1 ms as the API does. */
  const percentile = (values: number[], p: number) => {
    const sorted = [...values].sort((x, y) => x - y);
    const pos = p * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return Math.round((sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)) * 10) / 10;
  };
  const expectedPercentiles = (durations: number[]) =>
    durations.length === 0
      ? { p50: null, p95: null, p99: null }
      : { p50: percentile(durations, 0.5), p95: percentile(durations, 0.95), p99: percentile(durations, 0.99) };

  before(async () => {
    receiver = await startReceiver();
    app = await stack.createAppWithWebhook(receiver.url, { name: 'Stats App' });
  });
  after(async () => {
    await receiver.close();
  });

  test('a webhook without attempts has empty stats', async () => {
    assert.deepEqual(await stats(), {
      webhook_id: app.webhookId,
      window: '24h',
      attempts: 0,
      success_rate: null,
      response_time_ms: { p50: null, p95: null, p99: null },
      consecutive_failures: 0,
      last_error: null,
      last_success: null,
    });
  });

  test('500 then 200, then 200: three attempts, two succeeded, no failures since', async () => {
    receiver.answer({ status: 500, body: 'boom' });
    await postAndWait(app.appId, messageEvent());
    await postAndWait(app.appId, messageEvent());

    const attempts = await storedAttempts();
    assert.deepEqual(
      attempts.map((a) => a.status_code),
      [500, 200, 200],
    );
    const [failure, , success] = attempts;
    assert.deepEqual(await stats(), {
      webhook_id: app.webhookId,
      window: '24h',
      attempts: 3,
      success_rate: 2 / 3,
      response_time_ms: expectedPercentiles(attempts.map((a) => a.duration_ms)),
      consecutive_failures: 0,
      last_error: {
        at: failure!.started_at.toISOString(),
        error_class: 'http_status',
        error_message: 'HTTP 500',
        status_code: 500,
      },
      last_success: { at: success!.started_at.toISOString(), status_code: 200, duration_ms: success!.duration_ms },
    });
  });

  test('failures after the last success count up; attempts without an HTTP answer stay out of the percentiles', async () => {
    receiver.answer({ status: 503 }, { status: 404 });
    await postAndWait(app.appId, messageEvent());
    let body = await stats();
    assert.equal(body.consecutive_failures, 2);
    assert.equal(body.attempts, 5);
    assert.equal(body.success_rate, 2 / 5);
    assert.equal(body.last_error.status_code, 404);

    receiver.answer({ reset: true }, { reset: true });
    await postAndWait(app.appId, messageEvent());

    const attempts = await storedAttempts();
    assert.deepEqual(
      attempts.map((a) => a.status_code),
      [500, 200, 200, 503, 404, null, null],
    );
    const last = attempts.at(-1)!;
    assert.ok(last.error_class, 'a reset is recorded with its error class');
    body = await stats('?window=7d');
    assert.deepEqual(body, {
      webhook_id: app.webhookId,
      window: '7d',
      attempts: 7,
      success_rate: 2 / 7,
      response_time_ms: expectedPercentiles(attempts.filter((a) => a.status_code !== null).map((a) => a.duration_ms)),
      consecutive_failures: 4,
      last_error: {
        at: last.started_at.toISOString(),
        error_class: last.error_class,
        error_message: last.error_message,
        status_code: null,
      },
      last_success: {
        at: attempts[2]!.started_at.toISOString(),
        status_code: 200,
        duration_ms: attempts[2]!.duration_ms,
      },
    });

    // A success ends the run of failures.
    await postAndWait(app.appId, messageEvent());
    body = await stats();
    assert.equal(body.consecutive_failures, 0);
    assert.equal(body.attempts, 8);
    assert.equal(body.success_rate, 3 / 8);
    assert.equal(body.last_error.at, last.started_at.toISOString());
  });

  test('the window bounds counts and percentiles; consecutive failures and last error/success look further back', async () => {
    // Age the first event's two attempts (500, 200) by two days, as if they had been made then.
    const first = (await storedAttempts())[0]!;
    await stack.db.pool.query(
      `UPDATE delivery_attempts SET started_at = started_at - interval '2 days' WHERE delivery_id = $1`,
      [first.delivery_id],
    );
    const attempts = await storedAttempts();
    const recent = attempts.slice(2);
    assert.deepEqual(
      recent.map((a) => a.status_code),
      [200, 503, 404, null, null, 200],
    );

    const day = await stats('?window=24h');
    assert.equal(day.attempts, 6);
    assert.equal(day.success_rate, 2 / 6);
    assert.deepEqual(
      day.response_time_ms,
      expectedPercentiles(recent.filter((a) => a.status_code !== null).map((a) => a.duration_ms)),
    );
    const week = await stats('?window=7d');
    assert.equal(week.attempts, 8);
    assert.equal(week.success_rate, 3 / 8);
    const hour = await stats('?window=1h');
    assert.equal(hour.attempts, 6);

    // Whatever the window: the run of failures, the last error and the last success come from the whole history.
    for (const s of [day, week, hour]) {
      assert.equal(s.consecutive_failures, 0);
      assert.equal(s.last_success.at, attempts.at(-1)!.started_at.toISOString());
      assert.equal(s.last_error.at, attempts.at(-2)!.started_at.toISOString());
    }
  });

  test('bad windows and unknown parameters are 400; unknown and deleted webhooks are 404', async () => {
    const refused = [
      '?window=31d',
      '?window=0h',
      '?window=abc',
      '?window=24',
      '?window=-1h',
      '?window=1w',
      '?days=1',
      '?window=1h&window=2h',
    ];
    for (const query of refused) {
      const res = await stack.request('GET', `/v1/apps/${app.appId}/webhooks/${app.webhookId}/stats${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, 'validation_failed', query);
    }
    assert.equal((await stats('?window=30d')).window, '30d');

    const unknown = await stack.request('GET', `/v1/apps/${app.appId}/webhooks/wh_nope/stats`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');

    assert.equal((await stack.request('DELETE', `/v1/apps/${app.appId}/webhooks/${app.webhookId}`)).status, 204);
    assert.equal((await stack.request('GET', `/v1/apps/${app.appId}/webhooks/${app.webhookId}/stats`)).status, 404);
    // Its deliveries stay in the log.
    assert.equal((await listAll(app.appId, { webhook_id: app.webhookId })).items.length, 5);
  });
});
