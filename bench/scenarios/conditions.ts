/**
 * Custom conditions: an app with 5 conditions on 3 webhooks, judged by the fake OpenAI-compatible server. The
 * product promises one LLM call per event however many conditions there are, and one condition delivery per
 * conversation once a condition has matched in it.
 */
import { createChatWebhooksClient, ok } from '../../src/client';
import { conditionIdsIn } from '../../support/fake-llm';
import { chatTarget, type Ctx } from '../lib/context';
import { runStep } from '../lib/load';
import { log, logStep } from '../lib/log';
import type { RunningChat } from '../lib/systems';
import type { BenchResults } from '../report/results';

const EVENTS_PER_CONVERSATION = 5;

export async function runConditions(ctx: Ctx, chat: RunningChat, results: BenchResults): Promise<void> {
  const app = ctx.apps.conditions!;
  // The judge matches cond_a1 every time: once per conversation it fires, and later events in that conversation no
  // longer send it. Every other condition is judged "no".
  ctx.llm.setResponder((req) => ({
    verdicts: conditionIdsIn(req).map((id) => ({
      condition_id: id,
      matched: id === 'cond_a1',
      reason: id === 'cond_a1' ? 'Asked about it.' : 'Not mentioned.',
    })),
  }));
  const before = ctx.llm.requests.length;
  const { events, rate } = ctx.sizes.conditions;
  log(`conditions: ${events} message_sent events, 5 conditions on 3 webhooks`);
  const step = await runStep(chatTarget(chat, app, 3), ctx.tracker, {
    rate,
    durationS: events / rate,
    drainS: 30,
    eventsPerConversation: EVENTS_PER_CONVERSATION,
    extraWaitMs: 1_500,
  });
  logStep('conditions')(step);
  const calls = ctx.llm.requests.slice(before);
  results.conditions = {
    events: step.events,
    accepted: step.accepted,
    llmCalls: calls.length,
    callsPerEvent: calls.length / Math.max(1, step.accepted),
    conditionsPerCall: calls.reduce((n, c) => n + conditionIdsIn(c).length, 0) / Math.max(1, calls.length),
    conditionDeliveries: step.conditionDeliveries,
    expectedConditionDeliveries: Math.ceil(step.events / EVENTS_PER_CONVERSATION),
    step,
  };
  // Kept apart from the type the report reads, which the variant does not change: results.conditions.prefiltered.
  const withVariant = { ...results.conditions, prefiltered: await runPrefiltered(ctx, chat) };
  results.conditions = withVariant;
}

/**
 * The same load with deterministic prefilters (#15): cond_a1 keeps a prefilter that the bench's message passes
 * ("cost"), the other four one it fails ("refund"). Those four are never sent to the LLM, and once cond_a1 has fired
 * in a conversation nothing is left to judge, so later messages there make no call at all. The webhooks are changed
 * in place, so their signing secrets (which the receiver checks) stay the same.
 */
async function runPrefiltered(ctx: Ctx, chat: RunningChat) {
  const app = ctx.apps.conditions!;
  const api = createChatWebhooksClient({ baseUrl: chat.apiUrl, apiKey: ctx.chatBase.adminKey });
  const hooks = ok(await api.GET('/v1/apps/{app_id}/webhooks', { params: { path: { app_id: app.id } } })).data;
  for (const hook of hooks) {
    const conditions = hook.conditions.map((c) => ({
      id: c.id,
      prompt: c.prompt,
      fire: c.fire,
      prefilter: c.id === 'cond_a1' ? 'message.contains("cost")' : 'message.contains("refund")',
    }));
    ok(
      await api.PATCH('/v1/apps/{app_id}/webhooks/{webhook_id}', {
        params: { path: { app_id: app.id, webhook_id: hook.id } },
        body: { conditions },
      }),
    );
  }
  const before = ctx.llm.requests.length;
  const { events, rate } = ctx.sizes.conditions;
  log(`conditions, prefiltered: ${events} message_sent events, 4 of 5 conditions refused by their prefilter`);
  const step = await runStep(chatTarget(chat, app, 3), ctx.tracker, {
    rate,
    durationS: events / rate,
    drainS: 30,
    eventsPerConversation: EVENTS_PER_CONVERSATION,
    extraWaitMs: 1_500,
  });
  logStep('conditions, prefiltered')(step);
  const calls = ctx.llm.requests.slice(before);
  const prefiltered = {
    events: step.events,
    accepted: step.accepted,
    llmCalls: calls.length,
    callsPerEvent: calls.length / Math.max(1, step.accepted),
    conditionsPerCall: calls.reduce((n, c) => n + conditionIdsIn(c).length, 0) / Math.max(1, calls.length),
    conditionDeliveries: step.conditionDeliveries,
    /** One call per conversation (its first message, where cond_a1 fires) instead of one per message. */
    expectedLlmCalls: Math.ceil(step.events / EVENTS_PER_CONVERSATION),
  };
  log(
    `conditions, prefiltered: ${prefiltered.llmCalls} LLM calls for ${prefiltered.accepted} events ` +
      `(${prefiltered.conditionsPerCall.toFixed(1)} conditions per call)`,
  );
  return prefiltered;
}
