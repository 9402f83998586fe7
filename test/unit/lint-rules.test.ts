/**
 * The lint guards what no test sees: workflow code that would not be deterministic, imports across the layers, and
 * promises nobody awaits. Each case lints a probe text as if it were a real file of that folder, through ESLint's own
 * API and the project's config, and expects the rule to fire; the last case proves a clean text passes.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';

import { ESLint } from 'eslint';

import { PACKAGE_ROOT } from '../../src/package-root';

let eslint: ESLint;
before(() => {
  eslint = new ESLint({ cwd: PACKAGE_ROOT });
});

async function rulesFired(file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: path.join(PACKAGE_ROOT, file) });
  return result!.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

test('a Node builtin, a database driver or zod in a workflow fails the lint', async () => {
  for (const module of ['node:fs', 'fs', 'pg', 'openai', 'express', 'undici', 'zod']) {
    const fired = await rulesFired('workflows/deliver.ts', `import * as m from '${module}';\nexport const x = m;\n`);
    assert.ok(fired.includes('no-restricted-imports'), `${module}: ${fired.join(', ')}`);
  }
});

test('the real clock and Math.random in a workflow fail the lint, outside workflows/runtime.ts', async () => {
  const text = 'export const a = Date.now();\nexport const b = Math.random();\nexport const c = new Date();\n';
  const fired = await rulesFired('workflows/deliver.ts', text);
  assert.equal(fired.filter((r) => r === 'no-restricted-syntax').length, 3, fired.join(', '));
  assert.deepEqual(await rulesFired('workflows/runtime.ts', text), []);
});

test('activities do not import workflows; the API and services import neither', async () => {
  const fromWorkflows = "import { carryOut } from '../workflows/deliver';\nexport const x = carryOut;\n";
  assert.ok((await rulesFired('activities/replay.ts', fromWorkflows)).includes('no-restricted-imports'));
  const fromActivities = "import { createActivities } from '../../activities';\nexport const x = createActivities;\n";
  assert.ok((await rulesFired('src/api/app.ts', fromActivities)).includes('no-restricted-imports'));
  const fromBoth = "import { carryOut } from '../../workflows/deliver';\nexport const x = carryOut;\n";
  assert.ok((await rulesFired('src/services/replay.ts', fromBoth)).includes('no-restricted-imports'));
});

test('a floating promise fails the lint anywhere', async () => {
  const text = 'async function send(): Promise<void> {}\nexport function go(): void {\n  send();\n}\n';
  assert.ok((await rulesFired('src/services/events.ts', text)).includes('@typescript-eslint/no-floating-promises'));
});

test('a clean workflow text passes', async () => {
  const text =
    "import { sleep } from '@temporalio/workflow';\n\nimport { workflowNow } from './runtime';\n\n" +
    'export async function probe(): Promise<string> {\n  await sleep(1);\n  return workflowNow().toISOString();\n}\n';
  assert.deepEqual(await rulesFired('workflows/deliver.ts', text), []);
});
