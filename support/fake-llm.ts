/**
 * The one test double the suite allows: an OpenAI-compatible chat-completions server over real HTTP. It records every
 * request and answers from a script (a queue of answers), then from a responder function.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LlmRequest {
  headers: http.IncomingHttpHeaders;
  body: {
    model: string;
    messages: Array<{ role: string; content: string }>;
    response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema: unknown } };
    [key: string]: unknown;
  };
  receivedAt: Date;
}

export type Verdict = { condition_id: string; matched: boolean; reason: string };

export type LlmAnswer =
  | { verdicts: Verdict[]; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { status: number; retryAfter?: string; body?: unknown }
  | { hang: true }
  | { malformed: string };

export interface FakeLlm {
  baseUrl: string;
  requests: LlmRequest[];
  /** Queues answers for the next requests, in order. */
  answer(...answers: LlmAnswer[]): void;
  /** Decides answers once the queue is empty. Default: every condition in the request unmatched. */
  setResponder(fn: (req: LlmRequest) => LlmAnswer): void;
  close(): Promise<void>;
}

/** The condition ids a request asks about, read from the user message the product sends. */
export function conditionIdsIn(req: LlmRequest): string[] {
  const user = req.body.messages.find((m) => m.role === 'user')?.content ?? '';
  return [...user.matchAll(/"id":\s*"([^"]+)"/g)].map((m) => m[1]!);
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const requests: LlmRequest[] = [];
  const queue: LlmAnswer[] = [];
  let responder = (req: LlmRequest): LlmAnswer => ({
    verdicts: conditionIdsIn(req).map((id) => ({ condition_id: id, matched: false, reason: 'Not mentioned.' })),
  });
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      const recorded: LlmRequest = {
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        receivedAt: new Date(),
      };
      requests.push(recorded);
      const answer = queue.shift() ?? responder(recorded);
      if ('hang' in answer) {
        hanging.add(res);
        return;
      }
      if ('status' in answer) {
        res
          .writeHead(answer.status, {
            'content-type': 'application/json',
            ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}),
          })
          .end(JSON.stringify(answer.body ?? { error: { message: `scripted ${answer.status}`, type: 'scripted' } }));
        return;
      }
      const content = 'malformed' in answer ? answer.malformed : JSON.stringify({ verdicts: answer.verdicts });
      const usage = 'verdicts' in answer && answer.usage ? answer.usage : { prompt_tokens: 120, completion_tokens: 30 };
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: recorded.body.model,
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content, refusal: null } }],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    answer: (...answers) => queue.push(...answers),
    setResponder: (fn) => {
      responder = fn;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
