/**
 * `npm run bench -- --quick` runs end to end: it starts everything it needs, measures the five systems and writes the
 * report, the JSON and the chart. Timing belongs in the benchmark, not in tests: this asserts that the report is
 * produced and complete, never a figure in it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { runScript } from '../helpers/run-script';

// The quick run now holds eleven scenarios, and the suite runs other files beside it on two cores.
const TIMEOUT_MS = 9 * 60_000;
const SYSTEMS = ['direct', 'bullmq', 'bare-temporal', 'temporal-floor', 'chat-webhooks'];

test(
  'npm run bench -- --quick writes the results table, the JSON and the chart',
  { timeout: TIMEOUT_MS },
  async (t) => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-webhooks-bench-test-'));
    t.after(() => fs.rmSync(out, { recursive: true, force: true }));
    const { code, stdout, stderr } = await runScript(
      'npm',
      ['run', '--silent', 'bench', '--', '--quick', '--out', out],
      TIMEOUT_MS,
    );
    const output = `${stdout}${stderr}`;
    assert.equal(code, 0, `the benchmark failed:\n${output.slice(-6000)}`);

    const files = fs.readdirSync(out);
    const base = files.find((f) => /^\d{4}-\d{2}-\d{2}-([0-9a-f]{4,}|nogit)\.md$/.test(f))?.replace(/\.md$/, '');
    assert.ok(base, `no <date>-<sha>.md in ${files.join(', ')}`);
    for (const ext of ['json', 'png', 'svg']) assert.ok(files.includes(`${base}.${ext}`), `${base}.${ext} is written`);
    assert.deepEqual(
      [...fs.readFileSync(path.join(out, `${base}.png`)).subarray(0, 8)],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      'the chart is a PNG',
    );

    const md = fs.readFileSync(path.join(out, `${base}.md`), 'utf8');
    assert.match(md, /QUICK RUN/);
    assert.match(md, /Command: `npm run bench -- --quick`/);
    assert.match(md, /Machine: .+ cores, .+ memory, .+Node v\d+/);
    const header = md.split('\n').findIndex((l) => l.startsWith('| System | Max sustained events/s |'));
    assert.ok(header >= 0, 'the results table has its header');
    const rows = md
      .split('\n')
      .slice(header + 2)
      .filter((l) => l.startsWith('| `'));
    for (const system of SYSTEMS) {
      const row = rows.find((l) => l.startsWith(`| \`${system}\` |`));
      assert.ok(row, `the table has a row for ${system}`);
      // BullMQ needs Redis; without it the row says why instead of measuring.
      if (system === 'bullmq' && /\| skipped \|/.test(row!)) assert.match(row!, /redis/i);
      else assert.doesNotMatch(row!, /skipped/, `${system} was measured`);
    }
    for (const section of [
      '## Engine work per event',
      '## Targets',
      '## chat-webhooks: fan-out',
      '## chat-webhooks: the slow path (10% of first attempts retried)',
      '## Tenants: one app floods, another waits (task-queue fairness)',
      '## chat-webhooks: LLM calls per event',
      '## Making it fast',
      '## Where the time goes',
    ]) {
      assert.ok(md.includes(section), `the report has "${section}"`);
    }
    assert.match(md, /!\[Latency against offered load\]\(.+\.png\)/);

    const json = JSON.parse(fs.readFileSync(path.join(out, `${base}.json`), 'utf8'));
    assert.deepEqual(
      json.systems.map((s: { name: string }) => s.name),
      SYSTEMS,
    );
    assert.deepEqual(
      json.fanout.map((f: { webhooks: number }) => f.webhooks),
      [1, 10, 50],
    );
    assert.ok(json.conditions, 'the conditions scenario ran');
    assert.equal(json.retries?.steps.length, 2, 'the slow-path scenario ran at two rates');
    assert.deepEqual(
      json.fairness?.runs.map((r: { variant: string }) => r.variant),
      ['alone', 'fairness off', 'fairness on'],
    );
    assert.ok(
      json.retries.steps.every((s: { failedFirst: number }) => s.failedFirst > 0),
      'first attempts were refused',
    );
    assert.ok(json.profile?.api && json.profile?.worker, 'both processes were profiled');
  },
);
