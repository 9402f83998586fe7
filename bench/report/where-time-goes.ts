/**
 * "Where the time goes": CPU per event against what the machine's cores allow, the phases of the workflow
 * histories, and the CPU profiles of chat-webhooks' API and worker.
 */
import { f, perWorkflowCounts } from './cells';
import type { BenchResults } from './results';
import { breakdownTable, cpuCeilingTable, profileTable } from './tables';

export function whereTimeGoesSection(r: BenchResults): string[] {
  const cores = r.meta.machine.cores;
  const chat = r.systems.find((s) => s.name === 'chat-webhooks');
  const bare = r.systems.find((s) => s.name === 'bare-temporal');
  return [
    '## Where the time goes',
    '',
    '### CPU per event',
    '',
    `The machine has ${cores} cores, so ${cores * 1000} CPU ms per second in all. Dividing by each system's CPU per event ` +
      '(its processes plus the bench harness that drives it) gives a ceiling that the measured maximum should approach when the system is CPU-bound.',
    '',
    ...cpuCeilingTable(r),
    '',
    '### Inside Temporal (workflow histories)',
    '',
    '**chat-webhooks**',
    '',
    ...breakdownTable(chat?.breakdown),
    '',
    ...(chat?.conversationBreakdown && chat.conversationBreakdown.workflows > 0
      ? [
          `Not in these: the idle-timer workflows of the sampled events' conversations (one per ${chat.eventsPerConversation ?? '?'} events; ` +
            `${chat.conversationBreakdown.workflows} read, still waiting on their 30 min timer), per workflow so far: ${perWorkflowCounts(chat.conversationBreakdown)}.`,
          '',
        ]
      : []),
    ...(chat?.dbPerEvent
      ? [
          `Postgres work per chat-webhooks event (pg_stat_database over the 50% run, API and worker together): ${f(chat.dbPerEvent.xacts)} transactions, ` +
            `${f(chat.dbPerEvent.rowsFetched)} rows fetched, ${f(chat.dbPerEvent.rowsInserted)} inserted, ${f(chat.dbPerEvent.rowsUpdated)} updated.`,
          '',
        ]
      : []),
    '**bare-temporal**',
    '',
    ...breakdownTable(bare?.breakdown),
    '',
    `### CPU profiles (node --cpu-prof, ${r.profile?.durationS ?? '–'} s at ${r.profile?.rate ?? '–'} events/s, ${r.profile?.events ?? '–'} events)`,
    '',
    ...profileTable('chat-webhooks api', r.profile?.api),
    '',
    ...profileTable('chat-webhooks worker', r.profile?.worker),
  ];
}
