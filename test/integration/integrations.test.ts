/**
 * Integrations (#15): deterministic filters and prefilters at save, at delivery and before the LLM; the Slack,
 * Discord and Teams formats delivered for real and checked by the platforms' own libraries; REST Hook subscriptions
 * deleted on 410; sample payloads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { ChatEventResult } from '../../src/domain/delivery';
import { TRANSCRIPT_START } from '../../src/llm/judge';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { type FakeLlm, type LlmRequest, startFakeLlm } from '../../support/fake-llm';
import { checkDiscordBody, checkSlackBody, checkTeamsBody } from '../helpers/format-checks';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

/** The fake judge: a condition naming a [keyword] matches when the transcript has it. */
function keywordResponder(req: LlmRequest) {
  const user = req.body.messages.find((m) => m.role === 'user')!.content;
  const markerAt = user.indexOf(`\n${TRANSCRIPT_START}\n`);
  const transcript = user.slice(markerAt).toLowerCase();
  const lines = user
    .slice(0, markerAt)
    .split('\n')
    .filter((l) => l.startsWith('{'));
  return {
    verdicts: lines.map((line) => {
      const { id, condition } = JSON.parse(line) as { id: string; condition: string };
      const keyword = /\[(.+?)\]/.exec(condition)?.[1]?.toLowerCase() ?? '\u0000';
      const matched = transcript.includes(keyword);
      return { condition_id: id, matched, reason: matched ? `The user mentioned ${keyword}.` : 'No mention.' };
    }),
  };
}

let llm: FakeLlm;
let stack: Stack;
let receiver: Receiver;

before(async () => {
  llm = await startFakeLlm();
  llm.setResponder(keywordResponder);
  stack = await startStack({ llmBaseUrl: llm.baseUrl, retrySchedule: '1s' });
  receiver = await startReceiver();
});
after(async () => {
  await receiver?.close();
  await stack?.close();
  await llm?.close();
});

async function newApp(name = 'Integrations App'): Promise<string> {
  return (await stack.request('POST', '/v1/apps', { name })).body.id;
}

async function addWebhook(appId: string, body: Record<string, unknown>) {
  const res = await stack.request('POST', `/v1/apps/${appId}/webhooks`, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; conditions: Array<{ id: string }>; filter: string | null; format: string };
}

async function post(appId: string, event: Record<string, unknown>): Promise<ChatEventResult> {
  const res = await stack.request('POST', `/v1/apps/${appId}/events`, event);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return stack.client.workflow.getHandle(res.body.workflow_id).result();
}

const receivedAt = (path: string) =>
  receiver.requests.filter((r) => r.path === `${new URL(receiver.url).pathname}${path}`);

describe('filters at save', () => {
  test('a bad filter is a 422 invalid_filter naming the field, the problem and its position; nothing is saved', async () => {
    const appId = await newApp();
    const res = await stack.request('POST', `/v1/apps/${appId}/webhooks`, {
      url: receiver.url,
      events: ['message_sent'],
      filter: 'user.logged_n && message.contains("refund")',
    });
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'invalid_filter');
    assert.deepEqual(res.body.error.details, [
      { field: 'filter', message: 'column 6: No such key: logged_n', position: { start: 5, end: 13 } },
    ]);
    const list = await stack.request('GET', `/v1/apps/${appId}/webhooks`);
    assert.equal(list.body.data.length, 0);

    const prefilter = await stack.request('POST', `/v1/apps/${appId}/webhooks`, {
      url: receiver.url,
      events: ['custom_condition'],
      conditions: [{ prompt: 'When the user asks about [pricing]', prefilter: 'message.matches("(a+)+$")' }],
    });
    assert.equal(prefilter.status, 422);
    assert.equal(prefilter.body.error.details[0].field, 'conditions.0.prefilter');
    assert.match(prefilter.body.error.details[0].message, /matches\(\) is not available/);
  });

  test('a good filter is saved, returned, changed and removed', async () => {
    const appId = await newApp();
    const hook = await addWebhook(appId, {
      url: receiver.url,
      events: ['message_sent'],
      filter: 'user.logged_in && message.contains("refund")',
    });
    assert.equal(hook.filter, 'user.logged_in && message.contains("refund")');
    assert.equal(hook.format, 'standard');
    const bad = await stack.request('PATCH', `/v1/apps/${appId}/webhooks/${hook.id}`, { filter: 'message +' });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.code, 'invalid_filter');
    const kept = await stack.request('GET', `/v1/apps/${appId}/webhooks/${hook.id}`);
    assert.equal(kept.body.filter, 'user.logged_in && message.contains("refund")', 'a refused change changes nothing');
    const removed = await stack.request('PATCH', `/v1/apps/${appId}/webhooks/${hook.id}`, { filter: null });
    assert.equal(removed.status, 200);
    assert.equal(removed.body.filter, null);
  });
});

describe('filters at delivery', () => {
  test('an event the filter refuses is recorded as skipped: filtered, and one it accepts is delivered', async () => {
    const appId = await newApp();
    const filtered = await addWebhook(appId, {
      url: `${receiver.url}/filtered`,
      events: ['message_sent'],
      filter: 'user.logged_in && message.contains("refund")',
    });
    const open = await addWebhook(appId, { url: `${receiver.url}/open`, events: ['message_sent'] });

    const plain = await post(appId, messageEvent({ message: 'hello there' }));
    const skipped = plain.deliveries.find((d) => d.webhookId === filtered.id)!;
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.error, 'filtered');
    assert.equal(skipped.attempts, 0);
    assert.equal(plain.deliveries.find((d) => d.webhookId === open.id)!.status, 'succeeded');
    const logged = await stack.request('GET', `/v1/apps/${appId}/deliveries/${skipped.deliveryId}`);
    assert.equal(logged.body.status, 'skipped');
    assert.equal(logged.body.last_error ?? logged.body.error, 'filtered');

    const refund = messageEvent({ message: 'I want a refund' });
    const matched = await post(appId, refund);
    assert.equal(matched.deliveries.find((d) => d.webhookId === filtered.id)!.status, 'succeeded');
    const got = receivedAt('/filtered').map((r) => JSON.parse(r.body).event_id);
    assert.deepEqual(got, [refund.id], 'only the refund message reached the filtered webhook');
  });

  test('a condition whose prefilter fails is not sent to the LLM; one whose prefilter holds is', async () => {
    const appId = await newApp();
    const hook = await addWebhook(appId, {
      url: `${receiver.url}/prefiltered`,
      events: ['custom_condition'],
      conditions: [{ prompt: 'When the user asks about [pricing]', prefilter: 'message.contains("price")' }],
    });
    const calls = llm.requests.length;
    const no = await post(appId, messageEvent({ conversation_id: 'conv-pre', message: 'Hello, how are you?' }));
    assert.equal(llm.requests.length, calls, 'no LLM call for a message the prefilter refuses');
    assert.equal(no.conditions, undefined, 'the judging activity did not even run');

    const yes = await post(
      appId,
      messageEvent({ conversation_id: 'conv-pre', message: 'What is the price? Tell me your pricing.' }),
    );
    assert.equal(llm.requests.length, calls + 1, 'one LLM call once the prefilter holds');
    const fired = yes.deliveries.filter((d) => d.conditionId === hook.conditions[0]!.id);
    assert.equal(fired.length, 1);
    assert.equal(fired[0]!.status, 'succeeded');
    // The refused message still joined the transcript the judge reads.
    const sent = llm.requests.at(-1)!.body.messages.find((m) => m.role === 'user')!.content;
    assert.ok(sent.includes('Hello, how are you?'), 'the earlier message is in the transcript');
  });

  test("a webhook's filter gates its conditions before the LLM too", async () => {
    const appId = await newApp();
    await addWebhook(appId, {
      url: `${receiver.url}/gated`,
      events: ['custom_condition'],
      filter: 'user.logged_in',
      conditions: [{ prompt: 'When the user asks about [pricing]' }],
    });
    const calls = llm.requests.length;
    await post(appId, messageEvent({ conversation_id: 'conv-gated', user: { logged_in: false }, message: 'pricing?' }));
    assert.equal(llm.requests.length, calls);
  });
});

describe('trying filters', () => {
  test('filters/try runs a filter against a sample event, and refuses a bad one with its position', async () => {
    const appId = await newApp();
    const yes = await stack.request('POST', `/v1/apps/${appId}/filters/try`, {
      filter: 'user.logged_in && message.contains("refund")',
      event: { type: 'message_sent', user: { logged_in: true }, message: 'a refund please' },
    });
    assert.equal(yes.status, 200);
    assert.deepEqual(yes.body, { matched: true, error: null });
    const sample = await stack.request('POST', `/v1/apps/${appId}/filters/try`, {
      filter: 'message == "User message"',
    });
    assert.deepEqual(sample.body, { matched: true, error: null }, "the default event is the seed's sample");
    const bad = await stack.request('POST', `/v1/apps/${appId}/filters/try`, { filter: 'message.contains(' });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.error.details[0].position, { start: 17, end: 17 });
  });

  test('conditions/try with a failing prefilter answers without asking the LLM', async () => {
    const appId = await newApp();
    const calls = llm.requests.length;
    const res = await stack.request('POST', `/v1/apps/${appId}/conditions/try`, {
      prompt: 'When the user asks about [pricing]',
      prefilter: 'message.contains("price")',
      transcript: [{ role: 'user', text: 'Hello' }],
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.matched, false);
    assert.equal(res.body.model, null);
    assert.deepEqual(res.body.prefilter, { matched: false, error: null });
    assert.equal(llm.requests.length, calls);
    const asked = await stack.request('POST', `/v1/apps/${appId}/conditions/try`, {
      prompt: 'When the user asks about [pricing]',
      prefilter: 'message.contains("price")',
      transcript: [{ role: 'user', text: 'What is the price of your pricing plan?' }],
    });
    assert.equal(asked.body.matched, true);
    assert.deepEqual(asked.body.prefilter, { matched: true, error: null });
    assert.equal(llm.requests.length, calls + 1);
  });
});

describe('formats', () => {
  test('slack, discord and teams webhooks get their platform bodies, which the platforms\u2019 libraries accept', async () => {
    const appId = await newApp('Format App');
    const ids: Record<string, string> = {};
    for (const format of ['slack', 'discord', 'teams'] as const) {
      ids[format] = (
        await addWebhook(appId, { url: `${receiver.url}/${format}`, events: ['message_sent'], format })
      ).id;
    }
    const long = 'x'.repeat(9_000);
    const event = messageEvent({ message: `Refund <!channel> ${long}`, response: 'We can help with that.' });
    const result = await post(appId, event);
    assert.deepEqual(
      result.deliveries.map((d) => d.status),
      ['succeeded', 'succeeded', 'succeeded'],
    );

    const slack = JSON.parse(receivedAt('/slack').at(-1)!.body);
    checkSlackBody(slack);
    assert.equal(slack.blocks[0].text.text, 'Message sent \u00b7 Format App');
    const slackMessage = slack.blocks.find((b: any) => b.text?.text?.startsWith('*Message*'));
    assert.equal(slackMessage.text.text.length, 3000, 'cut to the 3000-character section limit');
    assert.ok(slackMessage.text.text.includes('&lt;!channel&gt;'), 'no mention can be formed');

    const discord = JSON.parse(receivedAt('/discord').at(-1)!.body);
    checkDiscordBody(discord);
    assert.equal(discord.embeds[0].title, 'Message sent');
    assert.equal(discord.embeds[0].author.name, 'Format App');
    assert.ok(discord.embeds[0].description.length <= 4096);
    assert.deepEqual(discord.allowed_mentions, { parse: [] });

    const teams = JSON.parse(receivedAt('/teams').at(-1)!.body);
    checkTeamsBody(teams);
    const texts = JSON.stringify(teams);
    assert.ok(texts.includes('We can help with that.'));
    assert.ok(texts.includes('John Doe <user@example.com>'));
  });

  test('privacy settings hold in the chat formats, and a custom condition shows its prompt and reason', async () => {
    const appId = await newApp('Private App');
    const settings = await stack.request('PATCH', `/v1/apps/${appId}`, {
      privacy: { share_user_email: false, share_messages: false },
    });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const hook = await addWebhook(appId, {
      url: `${receiver.url}/slack-private`,
      events: ['custom_condition'],
      format: 'slack',
      conditions: [{ prompt: 'When the user asks about [pricing]' }],
    });
    const result = await post(
      appId,
      messageEvent({ conversation_id: 'conv-private', message: 'pricing please', response: 'Secret answer' }),
    );
    assert.equal(result.deliveries.find((d) => d.conditionId === hook.conditions[0]!.id)!.status, 'succeeded');
    const body = receivedAt('/slack-private').at(-1)!.body;
    checkSlackBody(JSON.parse(body));
    assert.ok(body.includes('When the user asks about [pricing]'));
    assert.ok(body.includes('The user mentioned pricing.'));
    assert.ok(!body.includes('user@example.com'), 'the email is withheld');
    assert.ok(!body.includes('Secret answer') && !body.includes('pricing please'), 'messages are withheld');
  });

  test('a test send shows each format too', async () => {
    const appId = await newApp('Test Format App');
    const hook = await addWebhook(appId, {
      url: `${receiver.url}/teams-test`,
      events: ['message_sent'],
      format: 'teams',
    });
    const res = await stack.request('POST', `/v1/apps/${appId}/webhooks/${hook.id}/test`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const card = JSON.parse(receivedAt('/teams-test').at(-1)!.body);
    checkTeamsBody(card);
    assert.ok(JSON.stringify(card).includes('Test: Message sent'));
  });
});

describe('REST Hooks and samples', () => {
  test('subscribe makes a webhook for one event, samples are the real payloads as delivered, a 410 deletes it', async () => {
    const created = await stack.request('POST', '/v1/apps', { name: 'Zap App' });
    const appId = created.body.id as string;

    const none = await stack.request('GET', `/v1/apps/${appId}/events/samples?type=message_sent`);
    assert.equal(none.status, 200);
    assert.equal(none.body.source, 'example');
    assert.equal(none.body.data.length, 1);
    assert.equal(none.body.data[0].event, 'Message sent');
    assert.equal(none.body.data[0].last_message, 'User message', "the seed's example payload");
    assert.equal(none.body.data[0].app_name, 'Zap App');

    const sub = await stack.request('POST', `/v1/apps/${appId}/rest-hooks`, {
      target_url: `${receiver.url}/zap`,
      event: 'message_sent',
    });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    assert.equal(sub.body.created_via, 'rest_hook');
    assert.deepEqual(sub.body.events, ['message_sent']);

    const events = [messageEvent({ message: 'first' }), messageEvent({ message: 'second' })];
    for (const e of events) await post(appId, e);
    const delivered = receivedAt('/zap')
      .slice(-2)
      .map((r) => r.body);
    const samples = await stack.request('GET', `/v1/apps/${appId}/events/samples?type=message_sent&limit=3`);
    assert.equal(samples.body.source, 'deliveries');
    assert.deepEqual(
      samples.body.data.map((p: unknown) => JSON.stringify(p)),
      [...delivered].reverse(),
      'exactly as delivered, newest first',
    );
    const other = await stack.request('GET', `/v1/apps/${appId}/events/samples?type=user_signup`);
    assert.equal(other.body.source, 'example');

    const bad = await stack.request('POST', `/v1/apps/${appId}/rest-hooks`, {
      target_url: `${receiver.url}/zap`,
      event: 'custom_condition',
    });
    assert.equal(bad.status, 400, 'custom_condition needs its conditions');

    // Zapier answers 410 once the Zap is off: the subscription's webhook is deleted, not disabled.
    receiver.answer({ status: 410, body: 'gone' });
    const gone = await post(appId, messageEvent({ message: 'third' }));
    assert.equal(gone.deliveries[0]!.status, 'failed');
    assert.match(gone.deliveries[0]!.error ?? '', /webhook deleted/);
    const after = await stack.request('GET', `/v1/apps/${appId}/webhooks/${sub.body.id}`);
    assert.equal(after.status, 404);

    // A webhook made through the webhooks API is disabled by a 410, as before.
    const plain = await addWebhook(appId, { url: `${receiver.url}/plain`, events: ['message_sent'] });
    receiver.answer({ status: 410, body: 'gone' });
    await post(appId, messageEvent({ message: 'fourth' }));
    const disabled = await stack.request('GET', `/v1/apps/${appId}/webhooks/${plain.id}`);
    assert.equal(disabled.body.enabled, false);
    assert.equal(disabled.body.disabled_reason, 'gone');
  });
});
