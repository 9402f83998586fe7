/**
 * How long and how hard each scenario runs: --quick must finish everything in under 2 minutes on a 2-core machine;
 * the full run takes about 10.
 */
import type { RampOptions } from './load';

export interface Sizes {
  /** The systems' throughput search, from a start rate per system. */
  ramp(start: number): RampOptions;
  /** Seconds of the latency run at 50% of a system's maximum. */
  halfS: number;
  /** The fan-out search for `webhooks` per event, given chat-webhooks' maximum with one. */
  fanout(webhooks: number, chatMax: number): RampOptions;
  conditions: { events: number; rate: number };
  /** Multiples of a main-run maximum that each variant's short ramp steps through. */
  toggleMultipliers: number[];
  toggleStepS: number;
  poolSizes: number[];
  tunings: ReadonlyArray<'low' | 'high'>;
  pragmas: string[];
  startRepeats: number;
  profileS: number;
  warmUp: { rate: number; s: number };
}

const QUICK: Sizes = {
  ramp: () => ({ start: 5, factor: 3, cap: 20, refine: 0, stepS: 1.5, drainS: 8, rates: [5, 20] }),
  halfS: 2,
  fanout: () => ({ start: 4, factor: 2, cap: 4, refine: 0, stepS: 1.5, drainS: 8, rates: [4] }),
  conditions: { events: 6, rate: 4 },
  toggleMultipliers: [1],
  toggleStepS: 1.5,
  poolSizes: [2],
  tunings: ['high'],
  pragmas: ['file, SQLite defaults'],
  startRepeats: 1,
  profileS: 2,
  warmUp: { rate: 10, s: 1 },
};

const FULL: Sizes = {
  ramp: (start) => ({ start, factor: 2, cap: 6400, refine: 2, stepS: 5, drainS: 45 }),
  halfS: 10,
  fanout: (webhooks, chatMax) => ({
    start: Math.max(1, Math.round(chatMax / Math.sqrt(webhooks) / 2)),
    factor: 2,
    cap: 3200,
    refine: 1,
    stepS: 4,
    drainS: 45,
  }),
  conditions: { events: 100, rate: 10 },
  toggleMultipliers: [0.75, 1, 1.25, 1.5],
  toggleStepS: 3,
  poolSizes: [2, 25],
  tunings: ['low', 'high'],
  pragmas: [
    'file, SQLite defaults',
    'file, WAL + synchronous=NORMAL',
    'file, WAL + synchronous=OFF',
    'in memory, WAL + synchronous=OFF',
  ],
  startRepeats: 2,
  profileS: 12,
  warmUp: { rate: 20, s: 3 },
};

export function sizesFor(quick: boolean): Sizes {
  return quick ? QUICK : FULL;
}
