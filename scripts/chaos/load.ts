/** The API as a backend calls it, and the sender that pushes every event through it while the faults happen. */
import { type components, createChatWebhooksClient } from '../../src/client';
import { sleep } from './common';

export interface ApiAnswer {
  status: number;
  body: any;
}

type EventBody = components['schemas']['ChatEventBody'];

export interface SendStats {
  requests: number;
  accepted: number;
  duplicates: number;
  refused503: number;
  refused5xx: number;
  connectionErrors: number;
  /** Events whose sending ended without a 202 or a duplicate 200. */
  rejected: Array<{ eventId: string; status: number; body: unknown }>;
  maxTriesForOneEvent: number;
  /** Events each api accepted (202 or duplicate 200), by its URL. */
  acceptedBy: Record<string, number>;
  done: number;
  outcomes: Map<string, 'accepted' | 'duplicate' | 'rejected'>;
}

export function newSendStats(): SendStats {
  return {
    requests: 0,
    accepted: 0,
    duplicates: 0,
    refused503: 0,
    refused5xx: 0,
    connectionErrors: 0,
    rejected: [],
    maxTriesForOneEvent: 0,
    acceptedBy: {},
    done: 0,
    outcomes: new Map(),
  };
}

export function eventId(i: number): string {
  return `chaos_evt_${String(i).padStart(6, '0')}`;
}

function eventBody(i: number): EventBody {
  return {
    id: eventId(i),
    type: 'message_sent',
    occurred_at: new Date(Date.UTC(2024, 0, 1, 12, 0, 0) + i * 1000).toISOString(),
    conversation_id: `conv_${i % 97}`,
    user: { id: `u_${i % 31}`, email: `user${i % 31}@example.com`, name: `User ${i % 31}`, logged_in: true },
    message: `Message number ${i}`,
    response: `Response number ${i}`,
  };
}

/**
 * Sends every event, spread over `sendMs`, with at most `concurrency` in flight; retries refusals with the same id.
 * With several APIs (a load balancer's view), events take turns, and a try after a refusal goes to the next one.
 */
export async function sendEvents(opts: {
  apiUrls: string[];
  key: string;
  appId: string;
  count: number;
  concurrency: number;
  sendMs: number;
  stats: SendStats;
  stopped: () => boolean;
}): Promise<void> {
  const { stats } = opts;
  const apis = opts.apiUrls.map((baseUrl) => ({
    baseUrl,
    client: createChatWebhooksClient({ baseUrl, apiKey: opts.key }),
  }));
  const start = Date.now();
  let next = 0;
  const sendOne = async (i: number) => {
    const id = eventId(i);
    const body = eventBody(i);
    let tries = 0;
    const giveUpAt = Date.now() + 5 * 60_000;
    for (;;) {
      if (opts.stopped()) return;
      tries++;
      stats.maxTriesForOneEvent = Math.max(stats.maxTriesForOneEvent, tries);
      stats.requests++;
      let answer: ApiAnswer | undefined;
      const api = apis[(i + tries - 1) % apis.length]!;
      const accepted = () => (stats.acceptedBy[api.baseUrl] = (stats.acceptedBy[api.baseUrl] ?? 0) + 1);
      try {
        const { data, error, response } = await api.client.POST('/v1/apps/{app_id}/events', {
          params: { path: { app_id: opts.appId } },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        answer = { status: response.status, body: data ?? error };
      } catch {
        stats.connectionErrors++;
      }
      if (answer?.status === 202) {
        stats.accepted++;
        accepted();
        stats.outcomes.set(id, 'accepted');
        return;
      }
      if (answer?.status === 200 && answer.body?.status === 'duplicate') {
        stats.duplicates++;
        accepted();
        stats.outcomes.set(id, 'duplicate');
        return;
      }
      if (answer && answer.status < 500) {
        stats.rejected.push({ eventId: id, status: answer.status, body: answer.body });
        stats.outcomes.set(id, 'rejected');
        return;
      }
      if (answer?.status === 503) stats.refused503++;
      else if (answer) stats.refused5xx++;
      if (Date.now() > giveUpAt) {
        stats.rejected.push({ eventId: id, status: answer?.status ?? 0, body: 'still refused after 5 minutes' });
        stats.outcomes.set(id, 'rejected');
        return;
      }
      // A refusal by one of several APIs is retried at once on the next; by all of them, after a backoff.
      if (tries % apis.length === 0) await sleep(Math.min(250 * 2 ** Math.min(tries / apis.length - 1, 3), 2_000));
    }
  };
  const lanes = Array.from({ length: opts.concurrency }, async () => {
    while (next < opts.count && !opts.stopped()) {
      const i = next++;
      await sleep(start + (i * opts.sendMs) / opts.count - Date.now());
      await sendOne(i);
      stats.done++;
    }
  });
  await Promise.all(lanes);
}
