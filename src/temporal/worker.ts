import path from 'node:path';

import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';

import { type ActivityDeps, createActivities } from '../../activities';
import { payloadDataConverter, type PayloadKey } from './codec';
import { sdkConnectionOptions, TemporalConnectError, type TemporalSecurity } from './connection-options';
import { installTemporalRuntime } from './runtime';

export const WORKFLOWS_PATH = require.resolve(path.resolve(__dirname, '../../workflows'));

/** Worker options that the config (WORKER_* variables) and the tests may set. */
export type WorkerTuning = Partial<
  Pick<
    WorkerOptions,
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentLocalActivityExecutions'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxCachedWorkflows'
    | 'stickyQueueScheduleToStartTimeout'
  >
>;

export interface WorkerHandle {
  worker: Worker;
  /** The worker's connection; a Client built on it can start workflows eagerly on this worker. Closed on shutdown. */
  connection: NativeConnection;
  /** Resolves when the worker has stopped (after `shutdown()`), rejects if it crashed. */
  running: Promise<void>;
  /** Stops polling, lets running activities finish within the grace time, then closes the connection. */
  shutdown(): Promise<void>;
}

export async function startWorker(opts: {
  address: string;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests, production images); otherwise workflows are bundled at start. */
  workflowBundlePath?: string;
  shutdownGraceMs?: number;
  tuning?: WorkerTuning;
  /** Encrypt payloads with these (TEMPORAL_PAYLOAD_KEYS); undefined: in the clear. */
  payloadKeys: PayloadKey[] | undefined;
  /** TLS, mTLS and API key (the config's `temporal.security`); undefined: plain text. */
  security?: TemporalSecurity;
}): Promise<WorkerHandle> {
  installTemporalRuntime();
  const connection = await NativeConnection.connect(sdkConnectionOptions(opts.address, opts.security)).catch(
    (error: unknown) => {
      throw new TemporalConnectError(opts.address, opts.security ?? { tls: undefined, apiKey: undefined }, error);
    },
  );
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(opts.deps),
    dataConverter: payloadDataConverter(opts.payloadKeys),
    shutdownGraceTime: opts.shutdownGraceMs ?? 30_000,
    ...opts.tuning,
  });
  const running = worker.run().finally(() => connection.close());
  return {
    worker,
    connection,
    running,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
