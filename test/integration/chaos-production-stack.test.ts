/**
 * The chaos run on the production stack (`npm run chaos -- --stack production --events 200`): 200 events through two
 * api processes into two workers on the Temporal server built here, on the stack's own Postgres, while one worker is
 * SIGKILLed three times, the Temporal server restarts, Postgres (Temporal's data and ours) restarts, and one api is
 * SIGKILLed while the other takes the load. The script checks every delivery against the receivers' records; this
 * test asserts its verdict and that every fault happened.
 *
 * The stack is its own (Postgres cluster, Temporal server, ports), so the Postgres restart touches no other test.
 * .ci/run builds the Go binaries before the suite; on a machine without them the first start builds them.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';

import { PACKAGE_ROOT } from '../../src/package-root';
import { runScript } from '../helpers/run-script';

/** About 2 min with the binaries built; the script's drain timeout (4 min) fires before this test gives up. */
const TIMEOUT_MS = 12 * 60_000;

test(
  'on the production stack, 200 events survive worker kills, Temporal and Postgres restarts and an api kill',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const { code, stdout, stderr } = await runScript(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(PACKAGE_ROOT, 'scripts', 'chaos.ts'),
        '--stack',
        'production',
        '--events',
        '200',
        '--json',
      ],
      TIMEOUT_MS,
    );
    t.diagnostic(
      stdout
        .split('\n')
        .filter((line) => line.startsWith('|'))
        .join('\n'),
    );
    if (process.env.CHAOS_TEST_VERBOSE) t.diagnostic(stderr);
    const output = `--- stdout ---\n${stdout.slice(-6000)}\n--- stderr ---\n${stderr.slice(-6000)}`;
    let summary: any;
    try {
      summary = JSON.parse(stdout.trim().split('\n').pop() ?? '');
    } catch {
      assert.fail(`no JSON summary on the last line (exit code ${code})\n${output}`);
    }
    assert.equal(code, 0, output);
    assert.equal(summary.ok, true, output);
    assert.equal(summary.stack, 'production');
    for (const check of summary.checks)
      assert.equal(check.ok, true, `check (${check.id}) ${check.name}: ${check.detail}`);
    assert.ok(
      summary.checks.some((c: { id: string }) => c.id === 'apis'),
      'the check that both apis took events ran',
    );
    const count = (kind: string) => summary.faults.filter((f: { kind: string }) => f.kind === kind).length;
    assert.deepEqual(
      ['worker-kill', 'temporal-restart', 'postgres-restart', 'api-kill'].map(count),
      [3, 1, 1, 1],
      JSON.stringify(summary.faults),
    );
    assert.equal(summary.figures.deliveries, 600);
    assert.deepEqual(summary.unexpected_exits, []);
  },
);
