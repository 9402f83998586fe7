/**
 * The Zapier integration in integrations/zapier, run by Zapier's own app tester (zapier-platform-core's
 * createAppTester) against the real service: the connection test, subscribe, a real event delivered to a local
 * receiver standing in for Zapier's hook URL, perform on what it got, performList's samples, unsubscribe.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PACKAGE_ROOT } from '../../src/package-root';
import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { messageEvent, type Stack, startStack } from '../helpers/stack';

const ZAPIER_APP = path.join(PACKAGE_ROOT, 'integrations', 'zapier');
const requireFromApp = createRequire(path.join(ZAPIER_APP, 'index.js'));

interface ZapierCore {
  createAppTester(app: unknown): (method: unknown, bundle: Record<string, unknown>) => Promise<any>;
  tools: { env: { inject(): void } };
}

let stack: Stack;
let receiver: Receiver;
let core: ZapierCore;
let app: any;

before(async () => {
  stack = await startStack({ retrySchedule: '1s' });
  receiver = await startReceiver();
  // The integration reads where the service is from BASE_URL, as it does on Zapier (zapier env:set).
  process.env.BASE_URL = stack.apiUrl;
  core = requireFromApp('zapier-platform-core') as ZapierCore;
  app = requireFromApp('./index.js');
});
after(async () => {
  delete process.env.BASE_URL;
  await receiver?.close();
  await stack?.close();
});

describe('the Zapier integration', () => {
  test("the app definition is valid by Zapier's schema", () => {
    const schema = requireFromApp('zapier-platform-core/src/tools/schema') as {
      compileApp(app: unknown): unknown;
      validateApp(app: unknown): unknown[];
    };
    assert.deepEqual(schema.validateApp(schema.compileApp(app)), []);
    assert.deepEqual(Object.keys(app.triggers).sort(), [
      'conversation_end',
      'custom_condition',
      'message_sent',
      'user_signup',
    ]);
  });

  test('connection test, subscribe, a real delivery, perform, performList and unsubscribe', async () => {
    const appTester = core.createAppTester(app);
    const created = await stack.request('POST', '/v1/apps', { name: 'Zapier Test App' });
    const authData = { app_id: created.body.id, api_key: created.body.api_key };

    const me = await appTester(app.authentication.test, { authData });
    assert.equal(me.id, authData.app_id);
    await assert.rejects(
      appTester(app.authentication.test, { authData: { ...authData, api_key: 'cwk_wrong' } }),
      /401|key|unauthori/i,
    );

    const trigger = app.triggers.message_sent.operation;
    const targetUrl = `${receiver.url}/zapier-hook`;
    const subscribeData = await appTester(trigger.performSubscribe, { authData, targetUrl, inputData: {} });
    assert.match(subscribeData.id, /^wh_/);
    assert.equal(subscribeData.created_via, 'rest_hook');
    assert.equal(subscribeData.secret, undefined, 'the signing secret is not kept in Zapier');

    // Before any event, "Test trigger" gets the documented example.
    const empty = await appTester(trigger.performList, { authData });
    assert.equal(empty.length, 1);
    assert.equal(empty[0].last_message, 'User message');

    const event = messageEvent({ message: 'Hello from a Zap test' });
    const res = await stack.request('POST', `/v1/apps/${authData.app_id}/events`, event);
    assert.equal(res.status, 202);
    const result = await stack.client.workflow.getHandle(res.body.workflow_id).result();
    assert.equal(result.deliveries[0].status, 'succeeded');
    const hookPath = `${new URL(receiver.url).pathname}/zapier-hook`;
    const got = receiver.requests.filter((r) => r.path === hookPath).at(-1)!;
    const delivered = JSON.parse(got.body);

    const items = await appTester(trigger.perform, { authData, cleanedRequest: delivered });
    assert.deepEqual(items, [{ id: event.id, ...delivered }]);

    const listed = await appTester(trigger.performList, { authData });
    assert.deepEqual(listed, [{ id: event.id, ...delivered }], 'the sample is the payload exactly as delivered');

    const gone = await appTester(trigger.performUnsubscribe, { authData, subscribeData });
    assert.deepEqual(gone, { id: subscribeData.id, deleted: true });
    const after = await stack.request('GET', `/v1/apps/${authData.app_id}/webhooks/${subscribeData.id}`);
    assert.equal(after.status, 404);
    // Unsubscribing again (Zapier retries) is not an error.
    await appTester(trigger.performUnsubscribe, { authData, subscribeData });
  });

  test('the Custom Condition trigger subscribes with its prompt', async () => {
    const appTester = core.createAppTester(app);
    const created = await stack.request('POST', '/v1/apps', { name: 'Zapier Condition App' });
    const authData = { app_id: created.body.id, api_key: created.body.api_key };
    const sub = await appTester(app.triggers.custom_condition.operation.performSubscribe, {
      authData,
      targetUrl: `${receiver.url}/zapier-condition`,
      inputData: { prompt: 'When a user asks about pricing or costs', filter: 'user.logged_in' },
    });
    assert.deepEqual(sub.events, ['custom_condition']);
    assert.equal(sub.conditions[0].prompt, 'When a user asks about pricing or costs');
    assert.equal(sub.filter, 'user.logged_in');
    const samples = await appTester(app.triggers.custom_condition.operation.performList, { authData });
    assert.equal(samples[0].condition, 'When a user asks about pricing or costs');
  });
});
