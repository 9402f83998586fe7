/**
 * What the production stack (support/production-stack.ts) runs, built once and cached outside the repo: the Temporal
 * server, temporal-sql-tool and the UI server, built with `go install` (GOTOOLCHAIN fetches the Go they need) into
 * ~/.cache/chat-webhooks/go/<name>-<version>/, and the production build of chat-webhooks itself, cached there by a
 * hash of its sources (CHAT_WEBHOOKS_CACHE moves the cache). A second start takes seconds.
 *
 * Versions have one source: STACK_VERSIONS (docker-compose.yml's image tags are tested against it).
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { PACKAGE_ROOT } from '../src/package-root';
import { bundleWorkflows } from '../src/temporal/worker';

const execFileAsync = promisify(execFile);

/** What the stack runs; docker-compose.yml uses the same tags (test/unit/production-stack-sync.test.ts). */
export const STACK_VERSIONS = {
  /** go.temporal.io/server: the server and temporal-sql-tool (temporalio/server, temporalio/admin-tools images). */
  temporalServer: '1.32.2',
  /** github.com/temporalio/ui-server/v2 (temporalio/ui image). 2.58.1 does not build here (two modules refused). */
  temporalUi: '2.56.4',
  /** The Go that builds them (the server needs ≥ 1.26.10); GOTOOLCHAIN fetches it through the module proxy. */
  goToolchain: 'go1.27.3',
} as const;

/** How long Temporal keeps a closed workflow's history, as docker-compose's temporal-setup registers the namespace. */
export const NAMESPACE_RETENTION_HOURS = 72;

export const DEPLOY_DIR = path.join(PACKAGE_ROOT, 'deploy', 'temporal');

export function cacheDir(): string {
  return process.env.CHAT_WEBHOOKS_CACHE ?? path.join(os.homedir(), '.cache', 'chat-webhooks');
}

// ---------------------------------------------------------------------------------------------------------------
// Go binaries

interface GoBinary {
  name: string;
  module: string;
  version: string;
}

const GO_BINARIES = {
  server: {
    name: 'temporal-server',
    module: 'go.temporal.io/server/cmd/server',
    version: STACK_VERSIONS.temporalServer,
  },
  sqlTool: {
    name: 'temporal-sql-tool',
    module: 'go.temporal.io/server/cmd/tools/sql',
    version: STACK_VERSIONS.temporalServer,
  },
  ui: {
    name: 'temporal-ui-server',
    module: 'github.com/temporalio/ui-server/v2/cmd/server',
    version: STACK_VERSIONS.temporalUi,
  },
} satisfies Record<string, GoBinary>;

export interface GoBinaries {
  server: string;
  sqlTool: string;
  ui: string;
  /** The server module's schema/postgresql/v12 folder, copied beside the server binary. */
  schemaDir: string;
}

function goBinDir(binary: GoBinary): string {
  return path.join(cacheDir(), 'go', `${binary.name}-${binary.version}`);
}

/** `go` on PATH, or Go's default install folder. */
function findGo(): string {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/go/bin']) {
    const candidate = path.join(dir, 'go');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    'Building the Temporal server needs Go 1.21 or later (it then downloads ' +
      `${STACK_VERSIONS.goToolchain} itself): install it from https://go.dev/dl/ or put its bin folder on PATH`,
  );
}

async function goInstall(binary: GoBinary, log: (line: string) => void): Promise<string> {
  const dir = goBinDir(binary);
  // Both the server and the UI server build a binary named `server`: each gets its own GOBIN.
  const file = path.join(dir, binary.module.endsWith('/sql') ? 'sql' : 'server');
  if (fs.existsSync(file)) return file;
  const started = Date.now();
  log(`building ${binary.module}@v${binary.version} (first run only; a few minutes on 2 cores)`);
  const partial = `${dir}.partial-${process.pid}`;
  fs.mkdirSync(partial, { recursive: true });
  try {
    await execFileAsync(findGo(), ['install', `${binary.module}@v${binary.version}`], {
      env: { ...process.env, GOBIN: partial, GOTOOLCHAIN: STACK_VERSIONS.goToolchain, GOFLAGS: '-mod=mod' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 30 * 60_000,
    });
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`go install ${binary.module}@v${binary.version} failed:\n${stderr.slice(-3000)}`, {
      cause: error,
    });
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  // A rename makes the folder appear whole, so a build killed halfway is never taken for a finished one.
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(partial, dir);
  log(`built ${binary.name} in ${Math.round((Date.now() - started) / 1000)} s`);
  return file;
}

/** The server module's Postgres schema, copied next to the binary so the module cache may be cleaned. */
async function schemaDir(): Promise<string> {
  const target = path.join(goBinDir(GO_BINARIES.server), 'schema', 'postgresql', 'v12');
  if (fs.existsSync(path.join(target, 'temporal', 'versioned'))) return target;
  const { stdout } = await execFileAsync(findGo(), ['env', 'GOMODCACHE'], {
    env: { ...process.env, GOTOOLCHAIN: STACK_VERSIONS.goToolchain },
  });
  const source = path.join(
    stdout.trim(),
    `go.temporal.io/server@v${STACK_VERSIONS.temporalServer}`,
    'schema',
    'postgresql',
    'v12',
  );
  if (!fs.existsSync(source)) throw new Error(`Temporal's schema is not in the Go module cache (${source})`);
  fs.cpSync(source, target, { recursive: true });
  // The module cache is read-only; the copy need not be.
  await execFileAsync('chmod', ['-R', 'u+w', target]);
  return target;
}

/**
 * The three Go binaries, built when missing. The server and the SQL tool share a module, so they build one after the
 * other (the second reuses the first's compiled packages); the UI server builds beside them.
 */
export async function ensureGoBinaries(log: (line: string) => void = () => undefined): Promise<GoBinaries> {
  return withBuildLock(path.join(cacheDir(), 'go', '.build-lock'), log, () => buildGoBinaries(log));
}

/**
 * One build at a time per cache: stacks started at once (test files in parallel) wait for the first to finish its
 * build, then find the binaries. A lock left by a process that died is taken over.
 */
async function withBuildLock<T>(lock: string, log: (line: string) => void, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(fs.readFileSync(path.join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      let alive: boolean;
      try {
        if (holder > 0) process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        alive = false;
      }
      if (!alive && holder > 0) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) log(`waiting for another process's build (${lock})`);
      told = true;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

async function buildGoBinaries(log: (line: string) => void): Promise<GoBinaries> {
  const [[server, sqlTool], ui] = await Promise.all([
    (async () => {
      const server = await goInstall(GO_BINARIES.server, log);
      return [server, await goInstall(GO_BINARIES.sqlTool, log)] as const;
    })(),
    goInstall(GO_BINARIES.ui, log),
  ]);
  return { server, sqlTool, ui, schemaDir: await schemaDir() };
}

// ---------------------------------------------------------------------------------------------------------------
// The chat-webhooks build

const BUILD_INPUTS = ['src', 'workflows', 'activities', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

function sourceHash(): string {
  const hash = crypto.createHash('sha256');
  const add = (file: string) => {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file).sort()) add(path.join(file, entry));
    } else {
      hash.update(path.relative(PACKAGE_ROOT, file));
      hash.update(fs.readFileSync(file));
    }
  };
  for (const input of BUILD_INPUTS) add(path.join(PACKAGE_ROOT, input));
  return hash.digest('hex').slice(0, 16);
}

/**
 * A production build in a folder of its own, laid out as the Docker image is (dist/, bin/, migrations/, portal/dist,
 * package.json, node_modules), so a `npm run build:server` in the checkout never pulls files from under a running
 * stack. Runs build:server's two steps (tsc, then the workflow bundle) into it; cached by a hash of the sources.
 */
export async function ensureRelease(log: (line: string) => void = () => undefined): Promise<string> {
  const dir = path.join(cacheDir(), 'release', sourceHash());
  const marker = path.join(dir, '.complete');
  if (!fs.existsSync(marker)) await withBuildLock(`${dir}.lock`, log, () => buildRelease(dir, marker, log));
  return dir;
}

async function buildRelease(dir: string, marker: string, log: (line: string) => void): Promise<void> {
  // Another process may have finished it while this one waited for the lock.
  if (fs.existsSync(marker)) return;
  const started = Date.now();
  log('building chat-webhooks for production (tsc and the workflow bundle)');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const tsc = require.resolve('typescript/bin/tsc', { paths: [PACKAGE_ROOT] });
  await execFileAsync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(dir, 'dist')], {
    cwd: PACKAGE_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  // As scripts/bundle-workflows.ts does: the same code, so the same build id, as a Docker image's build.
  const code = await bundleWorkflows();
  fs.writeFileSync(path.join(dir, 'dist', 'workflow-bundle.js'), code);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(path.join(PACKAGE_ROOT, 'bin', 'chat-webhooks.js'), path.join(dir, 'bin', 'chat-webhooks.js'));
  fs.copyFileSync(path.join(PACKAGE_ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(PACKAGE_ROOT, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  fs.symlinkSync(path.join(PACKAGE_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.mkdirSync(path.join(dir, 'portal'));
  // The portal is built by `npm run build` (setup.sh); linked, so a rebuild shows without a new release.
  fs.symlinkSync(path.join(PACKAGE_ROOT, 'portal', 'dist'), path.join(dir, 'portal', 'dist'));
  fs.writeFileSync(marker, new Date().toISOString());
  log(`built chat-webhooks in ${Math.round((Date.now() - started) / 1000)} s`);
}
