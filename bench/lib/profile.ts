/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`): self time by area (a package, a project folder, Node itself,
 * garbage collection, native code) and the functions with the most self time.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  files: number;
  /** Sampled wall time that was not idle, ms */
  busyMs: number;
  areas: Array<{ area: string; ms: number; share: number }>;
  functions: Array<{ fn: string; area: string; ms: number; share: number }>;
}

function areaOf(fn: string, url: string): string {
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(program)') return 'native (V8, libuv, Temporal core bridge)';
  if (fn === '(idle)') return 'idle';
  if (!url) return 'native (V8, libuv, Temporal core bridge)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node (core modules)';
  const m = /\/(src|activities|workflows|bench)\/(.*)$/.exec(url);
  if (m) return m[1] === 'src' ? `src/${m[2]!.split('/')[0]!.replace(/\.ts$/, '')}` : m[1]!;
  if (url.includes('workflow-bundle') || url.startsWith('evalmachine')) return 'workflows';
  return 'other';
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const m = /\/(src|activities|workflows|bench)\/.*$/.exec(url);
  return m ? m[0].slice(1) : url.replace(/^file:\/\//, '');
}

/**
 * Summarises every .cpuprofile in `dir` (a process writes one per thread), counting only samples taken inside
 * `window` (nowMs() milliseconds: V8 stamps samples with the same CLOCK_MONOTONIC), so start-up and shutdown are left
 * out.
 */
export function summariseProfiles(
  dir: string,
  window: { fromMs: number; toMs: number },
  top = 12,
): ProfileSummary | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return undefined;
  const byArea = new Map<string, number>();
  const byFn = new Map<string, { area: string; us: number }>();
  for (const file of files) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0;
      if (at < window.fromMs * 1000 || at > window.toMs * 1000) continue;
      const node = nodes.get(profile.samples[i]!);
      if (!node) continue;
      const us = profile.timeDeltas[i + 1] ?? 0;
      const { functionName, url, lineNumber } = node.callFrame;
      const area = areaOf(functionName, url);
      byArea.set(area, (byArea.get(area) ?? 0) + us);
      if (area === 'idle') continue;
      const key = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
      const entry = byFn.get(key) ?? { area, us: 0 };
      entry.us += us;
      byFn.set(key, entry);
    }
  }
  const busyUs = [...byArea.entries()].filter(([a]) => a !== 'idle').reduce((s, [, v]) => s + v, 0);
  const share = (us: number) => (busyUs ? us / busyUs : 0);
  return {
    files: files.length,
    busyMs: busyUs / 1000,
    areas: [...byArea.entries()]
      .filter(([a]) => a !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, ms: us / 1000, share: share(us) })),
    functions: [...byFn.entries()]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([fn, { area, us }]) => ({ fn, area, ms: us / 1000, share: share(us) })),
  };
}
