/**
 * Webhook body formats: our payload (`standard`), or a message for a team chat's incoming webhook. The chat formats
 * are drawn from the standard payload, so the app's privacy settings hold in them too: what the payload withholds
 * (null) they do not show. User text is cut to each platform's limits and kept from pinging anyone.
 *
 * Pure code. The body types come from the platforms' own type packages (@slack/types, discord-api-types), so a wrong
 * field is a compile error; test/unit/formats.test.ts checks the Teams card with the adaptivecards parser.
 */
import type { KnownBlock } from '@slack/types';
import type { APIEmbed, RESTPostAPIWebhookWithTokenJSONBody } from 'discord-api-types/v10';

import type { WebhookPayload } from './payload';

export const WEBHOOK_FORMATS = ['standard', 'slack', 'discord', 'teams'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Platform limits, as each documents them. */
export const LIMITS = {
  slack: { sectionText: 3000, headerText: 150, fieldText: 2000, contextText: 2000, fallbackText: 4000 },
  discord: { title: 256, description: 4096, fieldName: 256, fieldValue: 1024, footer: 2048, author: 256, total: 6000 },
  /** Teams posts at most about 28 KB per message; the card keeps under this many bytes of JSON. */
  teams: { bodyBytes: 27_000 },
} as const;

/** Cuts text to at most `max` UTF-16 units, ending with an ellipsis, without splitting a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}\u2026`;
}

/** What every chat format shows, from the payload. */
interface Summary {
  title: string;
  app: string;
  user: string;
  message: string | null;
  response: string | null;
  condition: { prompt: string; reason: string } | null;
  conversation: string | null;
  eventId: string;
  timestamp: string;
}

function summarise(p: WebhookPayload): Summary {
  const who = [p.user_name, p.user_email ? `<${p.user_email}>` : null].filter(Boolean).join(' ');
  return {
    title: p.test ? `Test: ${p.event}` : p.event,
    app: p.app_name,
    user: who || 'Anonymous, or not shared by the app\u2019s privacy settings',
    message: p.last_message,
    response: p.response,
    condition: p.condition && p.condition_reason ? { prompt: p.condition, reason: p.condition_reason } : null,
    conversation: p.conversation_id,
    eventId: p.event_id,
    timestamp: p.timestamp,
  };
}

/** Slack's mrkdwn needs &, < and > escaped, which also keeps user text from forming <!channel> mentions. */
function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A labelled mrkdwn text at most `max` long as sent, escapes included; a cut never splits an escape. */
function slackText(label: string, value: string, max: number): string {
  const head = `*${label}*\n`;
  const escaped = slackEscape(value);
  if (head.length + escaped.length <= max) return head + escaped;
  return head + cut(escaped, max - head.length).replace(/&[a-z]{0,3}\u2026$/, '\u2026');
}

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export function slackMessage(payload: WebhookPayload): SlackMessage {
  const s = summarise(payload);
  const L = LIMITS.slack;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(`${s.title} \u00b7 ${s.app}`, L.headerText) } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: slackText('App', s.app, L.fieldText) },
        { type: 'mrkdwn', text: slackText('User', s.user, L.fieldText) },
      ],
    },
  ];
  if (s.condition) {
    blocks.push(
      { type: 'section', text: { type: 'mrkdwn', text: slackText('Condition', s.condition.prompt, L.sectionText) } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: slackText('Why it matched', s.condition.reason, L.sectionText) },
      },
    );
  }
  if (s.message !== null)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackText('Message', s.message, L.sectionText) } });
  if (s.response !== null)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: slackText('Response', s.response, L.sectionText) } });
  const context = [s.timestamp, s.conversation ? `conversation ${s.conversation}` : null, `event ${s.eventId}`];
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: cut(slackEscape(context.filter(Boolean).join(' \u00b7 ')), L.contextText) }],
  });
  // The notification's text, shown where blocks cannot be (push notifications, screen readers).
  return { text: cut(slackEscape(`${s.title} in ${s.app}`), L.fallbackText), blocks };
}

/** Discord's embed text counts toward one 6000-character budget across title, description, fields, footer, author. */
export function discordMessage(payload: WebhookPayload): RESTPostAPIWebhookWithTokenJSONBody {
  const s = summarise(payload);
  const L = LIMITS.discord;
  const fields: NonNullable<APIEmbed['fields']> = [{ name: 'User', value: cut(s.user, L.fieldValue), inline: true }];
  if (s.conversation) fields.push({ name: 'Conversation', value: cut(s.conversation, L.fieldValue), inline: true });
  if (s.condition) {
    fields.push(
      { name: 'Condition', value: cut(s.condition.prompt, L.fieldValue) },
      { name: 'Why it matched', value: cut(s.condition.reason, L.fieldValue) },
    );
  }
  const embed: APIEmbed = {
    title: cut(s.title, L.title),
    author: { name: cut(s.app, L.author) },
    fields,
    footer: { text: cut(`event ${s.eventId}`, L.footer) },
    timestamp: s.timestamp,
  };
  const used =
    embed.title!.length +
    embed.author!.name.length +
    embed.footer!.text.length +
    fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  const budget = Math.min(L.description, L.total - used);
  const parts = [
    s.message !== null ? { label: '**Message**\n', text: s.message } : null,
    s.response !== null ? { label: '**Response**\n', text: s.response } : null,
  ].filter((p) => p !== null);
  if (parts.length > 0) {
    // Each part gets an equal share of the budget; a short part leaves the rest to the other.
    const overhead = parts.reduce((n, p) => n + p.label.length, 0) + (parts.length - 1) * 2;
    let left = budget - overhead;
    const texts = parts.map((p, i) => {
      const share = Math.floor(left / (parts.length - i));
      const text = cut(p.text, Math.max(1, share));
      left -= text.length;
      return p.label + text;
    });
    embed.description = texts.join('\n\n');
  }
  // Whatever the user wrote, the message mentions no one.
  return { embeds: [embed], allowed_mentions: { parse: [] } };
}

/** An Adaptive Card 1.4 (what Teams renders) in the message envelope a Teams Workflows webhook takes. */
export interface TeamsMessage {
  type: 'message';
  attachments: Array<{
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: Record<string, unknown> & { type: 'AdaptiveCard'; version: string; body: unknown[] };
  }>;
}

export function teamsMessage(payload: WebhookPayload): TeamsMessage {
  const s = summarise(payload);
  const build = (maxText: number): TeamsMessage => {
    const body: unknown[] = [
      { type: 'TextBlock', text: s.title, size: 'Medium', weight: 'Bolder', wrap: true },
      {
        type: 'FactSet',
        facts: [
          { title: 'App', value: s.app },
          { title: 'User', value: s.user },
          ...(s.conversation ? [{ title: 'Conversation', value: s.conversation }] : []),
          { title: 'Time', value: s.timestamp },
        ],
      },
    ];
    const section = (label: string, text: string) =>
      body.push(
        { type: 'TextBlock', text: label, weight: 'Bolder', wrap: true, spacing: 'Medium' },
        { type: 'TextBlock', text: cut(text, maxText), wrap: true },
      );
    if (s.condition) {
      section('Condition', s.condition.prompt);
      section('Why it matched', s.condition.reason);
    }
    if (s.message !== null) section('Message', s.message);
    if (s.response !== null) section('Response', s.response);
    body.push({ type: 'TextBlock', text: `event ${s.eventId}`, isSubtle: true, size: 'Small', wrap: true });
    return {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body,
          },
        },
      ],
    };
  };
  // Long texts are cut until the whole message fits Teams' size limit.
  for (let maxText = 12_000; ; maxText = Math.floor(maxText / 2)) {
    const message = build(maxText);
    if (new TextEncoder().encode(JSON.stringify(message)).length <= LIMITS.teams.bodyBytes || maxText < 200)
      return message;
  }
}

/** The body a webhook of this format is sent, as JSON text. */
export function renderBody(format: WebhookFormat, payload: WebhookPayload): string {
  switch (format) {
    case 'standard':
      return JSON.stringify(payload);
    case 'slack':
      return JSON.stringify(slackMessage(payload));
    case 'discord':
      return JSON.stringify(discordMessage(payload));
    case 'teams':
      return JSON.stringify(teamsMessage(payload));
    default: {
      const unreachable: never = format;
      throw new Error(`unknown format ${String(unreachable)}`);
    }
  }
}
