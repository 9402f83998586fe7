/**
 * The dev server's SQLite pragmas, with bare-temporal (whose only storage is Temporal's): SQLite's defaults on a
 * file, WAL with synchronous NORMAL and OFF on a file, and the in-memory server the main runs use.
 */
import crypto from 'node:crypto';
import path from 'node:path';

import { type Ctx, warmUp } from '../lib/context';
import { startMainTemporal, startPragmaTemporal } from '../lib/infra';
import { log } from '../lib/log';
import { startBareTemporal } from '../lib/systems';
import { miniRamp } from '../lib/variant';
import type { BenchResults } from '../report/results';

/** By label (as Sizes.pragmas names them): the pragmas on a SQLite file, or the main runs' in-memory server. */
const PRAGMAS: Record<string, string[] | 'in memory'> = {
  'file, SQLite defaults': [],
  'file, WAL + synchronous=NORMAL': ['journal_mode=WAL', 'synchronous=NORMAL'],
  'file, WAL + synchronous=OFF': ['journal_mode=WAL', 'synchronous=OFF'],
  'in memory, WAL + synchronous=OFF': 'in memory',
};

/** What startDevServer passes in memory. */
const IN_MEMORY_PRAGMAS = ['journal_mode=WAL', 'synchronous=OFF'];

export async function runPragmas(ctx: Ctx, results: BenchResults, bareMax: number): Promise<void> {
  log(`dev server SQLite pragmas, with bare-temporal at ${ctx.sizes.toggleMultipliers.join('/')} × ${bareMax}/s`);
  for (const label of ctx.sizes.pragmas) {
    const pragmas = PRAGMAS[label]!;
    const server =
      pragmas === 'in memory'
        ? await startMainTemporal()
        : await startPragmaTemporal(
            label,
            path.join(ctx.tmp, `temporal-${crypto.randomBytes(3).toString('hex')}.db`),
            pragmas,
          );
    try {
      const system = await startBareTemporal(ctx.common, server, { bundlePath: ctx.bareBundle });
      try {
        await warmUp(ctx, system.target);
        results.optimisations.pragmas.push({
          ...(await miniRamp(ctx, `sqlite ${label}`, system, system.target, bareMax)),
          value: pragmas === 'in memory' ? IN_MEMORY_PRAGMAS : pragmas,
        });
      } finally {
        await system.stop();
      }
    } finally {
      await server.stop();
    }
  }
}
