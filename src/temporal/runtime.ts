import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/**
 * Installs the SDK's process-wide runtime with a quieter logger (WARN unless LOG_LEVEL asks for debug), so start-up is
 * not buried under bundler output. Must run before the first connection; later calls are no-ops.
 */
export function installTemporalRuntime(logLevel: string = process.env.LOG_LEVEL ?? 'info'): void {
  if (installed) return;
  installed = true;
  const level: LogLevel = logLevel === 'debug' || logLevel === 'trace' ? 'DEBUG' : 'WARN';
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Already instantiated by an earlier connection in this process: keep that runtime.
  }
}
