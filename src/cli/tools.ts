/**
 * Operator commands: `replay` and `recover` (through a running API), `try-condition` (the configured LLM, directly),
 * `receiver` (a local receiver that prints and verifies what it gets) and `build-id` (the worker version a release's
 * workers poll as).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { tryConditionBodySchema } from '../api/routes/conditions';
import { ChatWebhooksError, createChatWebhooksClient, ok } from '../client';
import { ConfigError, loadConfig } from '../config';
import { createLlmClient, judgeConditions } from '../llm/judge';
import { startPrintingReceiver } from '../receiver/print-receiver';
import { workflowCode } from '../temporal/worker';
import { workflowBuildId } from '../temporal/worker-deployment';

const TRY_USAGE =
  'usage: chat-webhooks try-condition --prompt "When ..." (--transcript turns.json | --message TEXT [--response TEXT])';
export async function runReceiver(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      secret: { type: 'string' },
      status: { type: 'string', default: '200' },
    },
  });
  const receiver = await startPrintingReceiver({
    port: Number(values.port),
    host: values.host!,
    secret: values.secret,
    status: Number(values.status),
  });
  process.stdout.write(`receiver listening on http://${values.host}:${receiver.port}/ (answers ${values.status})\n`);
}

/**
 * `build-id`: the build id this release's workers poll as, with the same settings (TEMPORAL_WORKER_BUILD_ID, else the
 * hash of WORKFLOW_BUNDLE_PATH's code, else of the workflows bundled now), for `temporal worker deployment
 * set-current-version --build-id`.
 */
export async function runBuildId(): Promise<void> {
  const config = loadConfig(process.env, 'tool');
  const buildId =
    config.worker.versioning?.buildId ?? workflowBuildId(await workflowCode(config.temporal.workflowBundlePath));
  process.stdout.write(`${buildId}\n`);
}

/**
 * `try-condition --prompt P (--transcript FILE | --message TEXT [--response TEXT])`: judges one condition with the
 * configured LLM, as the dashboard's "try this prompt" does. FILE holds `[{ "role": "user"|"assistant", "text" }]`.
 */
export async function runTryCondition(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      prompt: { type: 'string' },
      transcript: { type: 'string' },
      message: { type: 'string' },
      response: { type: 'string' },
    },
  });
  const config = loadConfig(process.env, 'tool');
  if (!config.llm.configured)
    throw new ConfigError('No LLM is configured: set OPENAI_API_KEY, or OPENAI_BASE_URL for a local model');
  const transcript = values.transcript
    ? JSON.parse(fs.readFileSync(values.transcript, 'utf8'))
    : [
        ...(values.message ? [{ role: 'user', text: values.message }] : []),
        ...(values.response ? [{ role: 'assistant', text: values.response }] : []),
      ];
  const body = tryConditionBodySchema.safeParse({ prompt: values.prompt, transcript });
  if (!body.success) {
    throw new ConfigError(
      `try-condition: ${body.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}\n${TRY_USAGE}`,
    );
  }
  const outcome = await judgeConditions(
    createLlmClient(config.llm),
    config.llm.model,
    [{ id: 'condition', prompt: body.data.prompt }],
    body.data.transcript,
  );
  if (outcome.kind !== 'verdicts') {
    process.stderr.write(`The LLM call failed (${outcome.kind}): ${outcome.reason}\n`);
    process.exit(1);
  }
  const verdict = outcome.verdicts.get('condition');
  process.stdout.write(
    `${JSON.stringify({ matched: verdict?.matched ?? null, reason: verdict?.reason ?? 'no verdict given', model: outcome.model, tokens: { prompt: outcome.promptTokens, completion: outcome.completionTokens } }, null, 2)}\n`,
  );
}

/**
 * Operator commands talk to a running API (CHAT_WEBHOOKS_API_URL, default http://localhost:PORT) with the admin key
 * (ADMIN_API_KEY, or dev mode's DATA_DIR/admin-api-key), through the generated client, so they work the same against
 * dev and production.
 */
function apiClient() {
  const config = loadConfig(process.env, 'tool');
  let key = config.auth.adminApiKey;
  if (!key) {
    try {
      key = fs.readFileSync(path.join(config.dataDir, 'admin-api-key'), 'utf8').trim();
    } catch {
      throw new ConfigError('Set ADMIN_API_KEY (or run from the folder whose .data/admin-api-key dev mode wrote)');
    }
  }
  return createChatWebhooksClient({
    baseUrl: process.env.CHAT_WEBHOOKS_API_URL ?? `http://localhost:${config.http.port}`,
    apiKey: key,
  });
}

/** The answer's data; an error answer is printed with what it names, and the command exits 1. */
function orExit<T>(what: string, result: { data?: T; error?: unknown; response: Response }): T {
  try {
    return ok(result);
  } catch (error) {
    if (!(error instanceof ChatWebhooksError)) throw error;
    process.stderr.write(`${what} answered ${error.message}\n`);
    process.exit(1);
  }
}

/** `replay <delivery-id>`: sends a stored delivery again (same webhook-id, fresh signature). */
export async function runReplay(args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'idempotency-key': { type: 'string' } },
  });
  const deliveryId = positionals[0];
  if (!deliveryId) throw new ConfigError('usage: chat-webhooks replay <delivery-id> [--idempotency-key KEY]');
  const api = apiClient();
  const { app_id } = orExit(
    `GET /v1/deliveries/${deliveryId}`,
    await api.GET('/v1/deliveries/{delivery_id}', { params: { path: { delivery_id: deliveryId } } }),
  );
  const key = values['idempotency-key'];
  const result = orExit(
    `POST /v1/apps/${app_id}/deliveries/${deliveryId}/replay`,
    await api.POST('/v1/apps/{app_id}/deliveries/{delivery_id}/replay', {
      params: { path: { app_id, delivery_id: deliveryId }, header: key ? { 'Idempotency-Key': key } : {} },
    }),
  );
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

/** `recover --app A --webhook W --since 2h [--until T]`: sends again every failed or skipped delivery in the window. */
export async function runRecover(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      app: { type: 'string' },
      webhook: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
    },
  });
  if (!values.app || !values.webhook || !values.since) {
    throw new ConfigError(
      'usage: chat-webhooks recover --app APP_ID --webhook WEBHOOK_ID --since 2h|ISO [--until ISO]',
    );
  }
  const started = orExit(
    `POST /v1/apps/${values.app}/webhooks/${values.webhook}/recover`,
    await apiClient().POST('/v1/apps/{app_id}/webhooks/{webhook_id}/recover', {
      params: { path: { app_id: values.app, webhook_id: values.webhook } },
      body: { since: values.since, ...(values.until ? { until: values.until } : {}) },
    }),
  );
  process.stdout.write(`${JSON.stringify(started, null, 2)}\n`);
  process.stdout.write(
    `progress: GET /v1/apps/${values.app}/webhooks/${values.webhook}/recoveries/${started.recovery_id}\n`,
  );
}
