/**
 * Custom conditions: an app with 5 conditions on 3 webhooks, judged by the fake OpenAI-compatible server. The
 * product promises one LLM call per event however many conditions there are, and one condition delivery per
 * conversation once a condition has matched in it.
 */
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
}
