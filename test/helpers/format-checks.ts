/**
 * Checks of the chat formats by the platforms' own packages, for the bodies receivers got: the Teams card through
 * the adaptivecards parser (Microsoft's renderer library: unknown elements or properties, and validation failures,
 * are reported as events), and the Slack and Discord bodies against their type packages' shapes (those packages ship
 * types only, so the compile-time check is in src/domain/formats.ts) plus each platform's documented limits.
 */
import assert from 'node:assert/strict';

import type { KnownBlock } from '@slack/types';
import type * as AdaptiveCardsModule from 'adaptivecards';
import type { RESTPostAPIWebhookWithTokenJSONBody } from 'discord-api-types/v10';

import { LIMITS } from '../../src/domain/formats';

// The package's ES build has extensionless imports that Node cannot load; its UMD build loads anywhere.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const AdaptiveCards = require('adaptivecards/dist/adaptivecards.js') as typeof AdaptiveCardsModule;

export function checkSlackBody(body: { text: string; blocks: KnownBlock[] }): void {
  assert.equal(typeof body.text, 'string');
  assert.ok(body.blocks.length > 0 && body.blocks.length <= 50, 'at most 50 blocks');
  for (const block of body.blocks) {
    switch (block.type) {
      case 'header':
        assert.equal(block.text.type, 'plain_text');
        assert.ok(block.text.text.length <= LIMITS.slack.headerText);
        break;
      case 'section':
        if (block.text) assert.ok(block.text.text.length <= LIMITS.slack.sectionText, 'section text ≤ 3000');
        for (const f of block.fields ?? []) assert.ok(f.text.length <= LIMITS.slack.fieldText);
        assert.ok((block.fields?.length ?? 0) <= 10);
        break;
      case 'context':
        assert.ok(block.elements.length <= 10);
        break;
      default:
        assert.fail(`unexpected block ${block.type}`);
    }
  }
}

export function checkDiscordBody(body: RESTPostAPIWebhookWithTokenJSONBody): void {
  const L = LIMITS.discord;
  assert.ok(body.embeds && body.embeds.length >= 1 && body.embeds.length <= 10);
  let total = 0;
  for (const e of body.embeds) {
    assert.ok((e.title ?? '').length <= L.title);
    assert.ok((e.description ?? '').length <= L.description, 'description ≤ 4096');
    assert.ok((e.fields ?? []).length <= 25);
    for (const f of e.fields ?? []) assert.ok(f.name.length <= L.fieldName && f.value.length <= L.fieldValue);
    assert.ok((e.footer?.text ?? '').length <= L.footer);
    assert.ok((e.author?.name ?? '').length <= L.author);
    total +=
      (e.title ?? '').length +
      (e.description ?? '').length +
      (e.footer?.text ?? '').length +
      (e.author?.name ?? '').length +
      (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
  }
  assert.ok(total <= L.total, `all embeds' text ≤ 6000, got ${total}`);
}

/** Parses the card as Teams' renderer would; fails on any event the parser or its validation reports. */
export function checkTeamsBody(body: {
  type: string;
  attachments: Array<{ contentType: string; content: unknown }>;
}): void {
  assert.equal(body.type, 'message');
  assert.equal(body.attachments.length, 1);
  assert.equal(body.attachments[0]!.contentType, 'application/vnd.microsoft.card.adaptive');
  assert.ok(new TextEncoder().encode(JSON.stringify(body)).length <= 28 * 1024, 'within the 28 KB message limit');
  const card = new AdaptiveCards.AdaptiveCard();
  const context = new AdaptiveCards.SerializationContext();
  card.parse(body.attachments[0]!.content, context);
  const events = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message);
  assert.deepEqual(events, [], 'the parser reports nothing');
  const validation = card.validateProperties();
  assert.deepEqual(
    validation.validationEvents.map((e) => e.message),
    [],
    'validation reports nothing',
  );
  assert.ok(card.getItemCount() > 0);
}
