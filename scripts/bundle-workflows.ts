/**
 * Prebuilds the workflow bundle into dist/workflow-bundle.js, so production workers start without webpack
 * (set WORKFLOW_BUNDLE_PATH to it; the Dockerfile does).
 */
import fs from 'node:fs';
import path from 'node:path';

import { PACKAGE_ROOT } from '../src/package-root';
import { bundleWorkflows } from '../src/temporal/worker';
import { workflowBuildId } from '../src/temporal/worker-deployment';

async function main() {
  const code = await bundleWorkflows();
  const out = path.join(PACKAGE_ROOT, 'dist', 'workflow-bundle.js');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, code);
  process.stdout.write(
    `wrote ${path.relative(process.cwd(), out)} (${Math.round(code.length / 1024)} KB, build id ${workflowBuildId(code)})\n`,
  );
}

void main();
