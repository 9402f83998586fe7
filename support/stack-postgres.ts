/**
 * A Postgres cluster of the stack's own (support/production-stack.ts), from Debian's postgresql package: initdb into
 * the stack's folder, run as the `postgres` user when the stack runs as root (Postgres refuses root).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  if (versions.length === 0)
    throw new Error('No PostgreSQL server in /usr/lib/postgresql: install it (apt-get install postgresql)');
  return path.join(root, versions.at(-1)!, 'bin');
}

/** Postgres refuses to run as root: then it runs as the `postgres` user (Debian's package creates it). */
export function asPostgresUser(command: string, args: string[]): { command: string; args: string[] } {
  if (process.getuid?.() !== 0) return { command, args };
  return {
    command: 'setpriv',
    args: ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args],
  };
}

export async function initPostgres(dataDir: string, password: string): Promise<void> {
  const bin = postgresBinDir();
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = path.join(path.dirname(dataDir), 'pgpass-init');
  fs.writeFileSync(pwfile, password, { mode: 0o600 });
  if (process.getuid?.() === 0) {
    await execFileAsync('chown', ['postgres:postgres', dataDir, pwfile]);
    // The postgres user must reach the data folder through its parents.
    for (let dir = path.dirname(dataDir); dir !== '/' && dir !== os.tmpdir(); dir = path.dirname(dir)) {
      fs.chmodSync(dir, fs.statSync(dir).mode | 0o711);
    }
  }
  const init = asPostgresUser(path.join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--pwfile',
    pwfile,
    '--auth-host=scram-sha-256',
    '--auth-local=peer',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  try {
    await execFileAsync(init.command, init.args, { timeout: 120_000 });
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}
