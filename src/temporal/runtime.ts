import type { Logger as SdkLogger, LogLevel, LogMetadata } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';

import { createLogger, type Logger } from '../logger';

let installed = false;

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The SDK's logger interface over pino, so worker logs are the same JSON lines as everything else. */
function sdkLoggerOver(pino: Logger): SdkLogger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) =>
    pino[PINO_LEVEL[level]]({ temporal: meta }, message);
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/**
 * Installs the SDK's process-wide runtime with a logger that writes through pino, the SDK's core (Rust) logs forwarded
 * to it too. Worker chatter stays at WARN unless LOG_LEVEL asks for debug. Must run before the first connection;
 * later calls are no-ops.
 */
export function installTemporalRuntime(logLevel: string = process.env.LOG_LEVEL ?? 'info'): void {
  if (installed) return;
  installed = true;
  const verbose = logLevel === 'debug' || logLevel === 'trace';
  const sdkLevel = verbose
    ? 'debug'
    : logLevel === 'silent'
      ? 'silent'
      : logLevel === 'error' || logLevel === 'fatal'
        ? logLevel
        : 'warn';
  const logger = createLogger(sdkLevel).child({ component: 'temporal-sdk' });
  try {
    Runtime.install({
      logger: sdkLoggerOver(logger),
      telemetryOptions: { logging: { filter: { core: verbose ? 'DEBUG' : 'WARN', other: 'WARN' }, forward: {} } },
    });
  } catch {
    // Already instantiated by an earlier connection in this process: keep that runtime.
  }
}
