/**
 * CPU seconds of a system under test, split by process, beside the bench's own load generator and receiver: read
 * before and after a measurement, the difference per accepted event is what the system costs.
 */
import { groupCpu, readProc } from './procs';
import type { RunningSystem } from './systems';

export interface SystemCpu {
  generator: number;
  receiver: number;
  api: number;
  worker: number;
  /** Per engine (Temporal, Postgres, Redis), per process: a group's processes come and go. */
  engines: Record<string, Map<number, number>>;
}

export function systemCpu(system: RunningSystem, receiverPid: number): SystemCpu {
  const self = process.cpuUsage();
  return {
    generator: (self.user + self.system) / 1e6,
    receiver: readProc(receiverPid)?.cpuS ?? 0,
    api: readProc(system.api.pid)?.cpuS ?? 0,
    worker: system.worker ? (readProc(system.worker.pid)?.cpuS ?? 0) : 0,
    engines: Object.fromEntries(Object.entries(system.engines).map(([name, pids]) => [name, groupCpu(pids())])),
  };
}
