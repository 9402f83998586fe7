/**
 * Portal sessions, as the platform and the embedded portal use them: a link minted with the admin or the app key,
 * whose token reaches only its own app's portal routes, with manage or read rights, until it expires or is revoked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { type Receiver, startReceiver } from '../../src/receiver/recording-receiver';
import { createPortalTokens } from '../../src/security/portal-token';
import { type Stack, startStack } from '../helpers/stack';

let stack: Stack;
let receiver: Receiver;

before(async () => {
  stack = await startStack();
  receiver = await startReceiver();
});

after(async () => {
  await receiver.close();
  await stack.close();
});

async function session(appId: string, body: Record<string, unknown> = {}, key?: string) {
  const res = await stack.request('POST', `/v1/apps/${appId}/portal-sessions`, body, key ? { key } : {});
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { url: string; token: string; session_id: string; capabilities: string; expires_at: string };
}

describe('portal sessions', () => {
  test('a link carries its token in the fragment, lasts 1 h by default, and is minted by the admin or the app key', async () => {
    const app = await stack.createAppWithWebhook(receiver.url);
    const before = Date.now();
    const byAdmin = await session(app.appId);
    assert.equal(byAdmin.url, `${stack.apiUrl}/portal/#token=${byAdmin.token}`);
    assert.equal(byAdmin.capabilities, 'manage');
    const lasts = Date.parse(byAdmin.expires_at) - before;
    assert.ok(lasts > 3_590_000 && lasts <= 3_600_000, `expires in ${lasts} ms`);
    const byApp = await session(app.appId, { capabilities: 'read', expires_in: '7d' }, app.appKey);
    assert.equal(byApp.capabilities, 'read');

    const tooLong = await stack.request('POST', `/v1/apps/${app.appId}/portal-sessions`, { expires_in: '8d' });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error.details[0].field, 'expires_in');
    const other = await stack.createAppWithWebhook(receiver.url);
    const notYours = await stack.request('POST', `/v1/apps/${other.appId}/portal-sessions`, {}, { key: app.appKey });
    assert.equal(notYours.status, 404);
  });

  test("a manage session reaches its app's portal routes, and nothing else", async () => {
    const app = await stack.createAppWithWebhook(receiver.url);
    const other = await stack.createAppWithWebhook(receiver.url);
    const { token } = await session(app.appId);
    const as = (method: string, path: string, body?: unknown) => stack.request(method, path, body, { key: token });

    assert.equal((await as('GET', `/v1/apps/${app.appId}/webhooks`)).body.data.length, 1);
    assert.equal((await as('GET', '/v1/apps')).body.data.map((a: { id: string }) => a.id).join(), app.appId);
    const patched = await as('PATCH', `/v1/apps/${app.appId}/webhooks/${app.webhookId}`, {
      description: 'from the portal',
    });
    assert.equal(patched.status, 200);
    assert.equal((await as('GET', `/v1/apps/${app.appId}/webhooks/${app.webhookId}/secret`)).status, 200);
    assert.equal((await as('POST', `/v1/apps/${app.appId}/webhooks/${app.webhookId}/test`)).status, 200);

    // Another app is as unknown as to its own key.
    assert.equal((await as('GET', `/v1/apps/${other.appId}/webhooks`)).status, 404);
    // The platform's routes: admin-only, posting events, the app's key, minting or revoking sessions.
    for (const [method, path, body] of [
      ['POST', '/v1/apps', { name: 'x' }],
      ['GET', '/v1/deliveries/msg_x', undefined],
      ['POST', `/v1/apps/${app.appId}/events`, { id: 'e1', type: 'user_signup' }],
      ['POST', `/v1/apps/${app.appId}/rotate-key`, undefined],
      ['DELETE', `/v1/apps/${app.appId}`, undefined],
      ['POST', `/v1/apps/${app.appId}/portal-sessions`, {}],
      ['POST', `/v1/apps/${app.appId}/portal-sessions/revoke`, undefined],
    ] as const) {
      const res = await as(method, path, body);
      assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'forbidden');
    }
    assert.equal((await stack.request('GET', `/v1/apps/${app.appId}`)).status, 200, 'the app is still there');
  });

  test('a read session sees everything and can change nothing, nor reveal a secret', async () => {
    const app = await stack.createAppWithWebhook(receiver.url);
    const { token } = await session(app.appId, { capabilities: 'read' });
    const as = (method: string, path: string, body?: unknown) => stack.request(method, path, body, { key: token });
    assert.equal((await as('GET', `/v1/apps/${app.appId}`)).status, 200);
    assert.equal((await as('GET', `/v1/apps/${app.appId}/webhooks/${app.webhookId}`)).status, 200);
    assert.equal((await as('GET', `/v1/apps/${app.appId}/deliveries`)).status, 200);
    assert.equal((await as('GET', `/v1/apps/${app.appId}/webhooks/${app.webhookId}/stats`)).status, 200);
    for (const [method, path, body] of [
      ['GET', `/v1/apps/${app.appId}/webhooks/${app.webhookId}/secret`, undefined],
      ['PATCH', `/v1/apps/${app.appId}/webhooks/${app.webhookId}`, { enabled: false }],
      ['DELETE', `/v1/apps/${app.appId}/webhooks/${app.webhookId}`, undefined],
      ['POST', `/v1/apps/${app.appId}/webhooks`, { url: receiver.url, events: ['user_signup'] }],
      ['POST', `/v1/apps/${app.appId}/webhooks/${app.webhookId}/rotate-secret`, undefined],
      ['POST', `/v1/apps/${app.appId}/webhooks/${app.webhookId}/test`, undefined],
      ['PATCH', `/v1/apps/${app.appId}`, { name: 'renamed' }],
    ] as const) {
      const res = await as(method, path, body);
      assert.equal(res.status, 403, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, /can only read/);
    }
    const webhook = await stack.request('GET', `/v1/apps/${app.appId}/webhooks/${app.webhookId}`);
    assert.equal(webhook.body.enabled, true, 'nothing changed');
  });

  test('revoke ends every session of the app at once; a new link works; an expired or forged token is refused', async () => {
    const app = await stack.createAppWithWebhook(receiver.url);
    const first = await session(app.appId);
    const second = await session(app.appId, { capabilities: 'read' });
    const path = `/v1/apps/${app.appId}/webhooks`;
    assert.equal((await stack.request('GET', path, undefined, { key: first.token })).status, 200);

    assert.equal((await stack.request('POST', `/v1/apps/${app.appId}/portal-sessions/revoke`)).status, 204);
    for (const { token } of [first, second]) {
      const res = await stack.request('GET', path, undefined, { key: token });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'portal_session_revoked');
    }
    const fresh = await session(app.appId);
    assert.equal((await stack.request('GET', path, undefined, { key: fresh.token })).status, 200);

    // Signed with the service's own key, but already past its expiry.
    const appRow = (await stack.request('GET', `/v1/apps/${app.appId}`)).body as { id: string };
    const epoch = (await stack.db.pool.query('SELECT portal_epoch FROM apps WHERE id = $1', [appRow.id])).rows[0]
      .portal_epoch as number;
    const expired = await createPortalTokens(stack.secrets).issue({
      appId: app.appId,
      capability: 'manage',
      epoch,
      expiresAt: new Date(Date.now() - 60_000),
    });
    const late = await stack.request('GET', path, undefined, { key: expired.token });
    assert.equal(late.status, 401);
    assert.equal(late.body.error.code, 'portal_session_expired');

    // The same claims under another key, and a token with its signature cut, are simply not keys.
    const [header, payload] = fresh.token.split('.');
    for (const forged of [`${header}.${payload}.AAAA`, `${header}.${payload}`]) {
      const res = await stack.request('GET', path, undefined, { key: forged });
      assert.equal(res.status, 401, forged);
      assert.equal(res.body.error.code, 'unauthorized');
    }
    // Deleting the app ends its sessions too.
    assert.equal((await stack.request('DELETE', `/v1/apps/${app.appId}`)).status, 204);
    const gone = await stack.request('GET', path, undefined, { key: fresh.token });
    assert.equal(gone.body.error.code, 'portal_session_revoked');
  });
});
