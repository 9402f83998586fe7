/**
 * A versioned worker's default build id is a hash of its workflow code (src/temporal/worker-deployment.ts): the same
 * sources give the same id wherever they are bundled, and a change to a workflow gives a new one.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { bundleWorkflows } from '../../src/temporal/worker';
import { versionLabel, workflowBuildId } from '../../src/temporal/worker-deployment';

const execFileAsync = promisify(execFile);

test('the build id leaves out the source map, whose paths depend on where the bundle was built', () => {
  const code = 'exports.x = 1;\n';
  const here = `${code}//# sourceMappingURL=data:application/json;base64,${Buffer.from('{"sources":["/work/a"]}').toString('base64')}`;
  const there = `${code}//# sourceMappingURL=data:application/json;base64,${Buffer.from('{"sources":["/app/b"]}').toString('base64')}`;
  assert.equal(workflowBuildId(here), workflowBuildId(there));
  assert.match(workflowBuildId(here), /^wf-[0-9a-f]{12}$/);
  assert.notEqual(workflowBuildId(code), workflowBuildId('exports.x = 2;\n'));
  assert.equal(
    versionLabel({ deploymentName: 'chat-webhooks', buildId: 'wf-0123456789ab' }),
    'chat-webhooks:wf-0123456789ab',
  );
});

test(
  '`chat-webhooks build-id` gives one id from any working folder, and the same for a prebuilt bundle',
  { timeout: 180_000 },
  async () => {
    const root = path.resolve(__dirname, '../..');
    const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
    const cli = path.join(root, 'src', 'cli', 'index.ts');
    const buildId = async (cwd: string, env: Record<string, string> = {}) =>
      (await execFileAsync(tsx, [cli, 'build-id'], { cwd, env: { PATH: process.env.PATH, ...env } })).stdout.trim();
    const code = await bundleWorkflows();
    const expected = workflowBuildId(code);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-build-id-'));
    try {
      const file = path.join(dir, 'workflow-bundle.js');
      fs.writeFileSync(file, code);
      assert.equal(await buildId(root), expected);
      // webpack names modules by their path from its context: the context is the package, not the working folder.
      assert.equal(await buildId(dir), expected);
      assert.equal(await buildId('/', { WORKFLOW_BUNDLE_PATH: file }), expected);
      // An explicit build id wins (it needs the deployment's name).
      assert.equal(
        await buildId(dir, { TEMPORAL_WORKER_DEPLOYMENT: 'chat-webhooks', TEMPORAL_WORKER_BUILD_ID: 'v2026.12.02' }),
        'v2026.12.02',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
