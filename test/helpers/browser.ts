/**
 * Real Chromium for the portal's tests: Debian's `chromium` (or CHROMIUM_PATH), driven by playwright-core, and
 * axe-core run inside the page. The portal's CSP does not stop axe: it is evaluated through the DevTools protocol,
 * not injected as a script element.
 */
import fs from 'node:fs';

import { type Browser, chromium, type Frame, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

let axeSource: string | undefined;

/** axe-core's serious and critical violations on the page (or frame) as it is now. */
export async function seriousAxeViolations(target: Page | Frame): Promise<AxeViolation[]> {
  axeSource ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await target.evaluate(axeSource);
  // Runs in the page, where the DOM exists (this project's TypeScript has no DOM types).
  const violations = (await target.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
    r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')),
    })))`)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
