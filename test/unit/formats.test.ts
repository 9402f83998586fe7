import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { KnownBlock } from '@slack/types';
import type { RESTPostAPIWebhookWithTokenJSONBody } from 'discord-api-types/v10';

import { examplePayload } from '../../src/domain/event-catalogue';
import { discordMessage, renderBody, slackMessage, teamsMessage } from '../../src/domain/formats';
import { DEFAULT_PRIVACY } from '../../src/domain/payload';
import { checkDiscordBody, checkSlackBody, checkTeamsBody } from '../helpers/format-checks';

const app = { id: 'app_1', name: 'My App', privacy: DEFAULT_PRIVACY };
const at = '2024-01-01T12:00:00.000Z';

describe('formats', () => {
  test('the bodies are of the platforms\u2019 own types', () => {
    // Compile-time checks: these assignments fail to typecheck if a field is wrong.
    const blocks: KnownBlock[] = slackMessage(examplePayload('message_sent', app, at)).blocks;
    const discord: RESTPostAPIWebhookWithTokenJSONBody = discordMessage(examplePayload('message_sent', app, at));
    assert.ok(blocks.length > 0 && discord.embeds?.length === 1);
  });

  test('every event type, in every chat format, passes the platform checks', () => {
    for (const type of ['message_sent', 'user_signup', 'conversation_end', 'custom_condition'] as const) {
      const payload = examplePayload(type, app, at);
      checkSlackBody(slackMessage(payload));
      checkDiscordBody(discordMessage(payload));
      checkTeamsBody(teamsMessage(payload));
    }
  });

  test('long messages are cut to each limit, and a condition shows its prompt and reason', () => {
    const payload = {
      ...examplePayload('custom_condition', app, at),
      last_message: '😀'.repeat(5000),
      response: 'r'.repeat(50_000),
    };
    const slack = slackMessage(payload);
    checkSlackBody(slack);
    const text = JSON.stringify(slack);
    assert.ok(text.includes('When a user asks about pricing or costs'));
    assert.ok(text.includes('The user asks how much the premium plan costs.'));
    const discord = discordMessage(payload);
    checkDiscordBody(discord);
    assert.ok(discord.embeds![0]!.fields!.some((f) => f.name === 'Why it matched'));
    const teams = teamsMessage(payload);
    checkTeamsBody(teams);
    assert.ok(!/[\ud800-\udbff]\u2026/.test(JSON.stringify(slack)), 'no surrogate pair is split');
  });

  test('standard is the payload as it was', () => {
    const payload = examplePayload('message_sent', app, at);
    assert.equal(renderBody('standard', payload), JSON.stringify(payload));
  });
});
