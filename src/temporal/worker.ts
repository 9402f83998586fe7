import fs from 'node:fs';
import path from 'node:path';

import { bundleWorkflowCode, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';

import { type ActivityDeps, createActivities } from '../../activities';
import type { Logger } from '../logger';
import { PACKAGE_ROOT } from '../package-root';
import { payloadDataConverter, type PayloadKey } from './codec';
import { sdkConnectionOptions, TemporalConnectError, type TemporalSecurity } from './connection-options';
import { installTemporalRuntime } from './runtime';
import {
  type DeploymentVersion,
  promoteIfNew,
  type PromotionOutcome,
  type WorkerVersioning,
  workflowBuildId,
} from './worker-deployment';

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

const SILENT = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never;

/**
 * Bundles the workflows as every build here does (scripts/bundle-workflows.ts, the stack's release, a worker without
 * a prebuilt bundle). webpack names modules by their path from its context, which is the working folder unless set:
 * it is set to the package's root, so the code, and the build id hashed from it, do not depend on where it ran.
 */
export async function bundleWorkflows(
  logger: Parameters<typeof bundleWorkflowCode>[0]['logger'] = SILENT,
): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger,
    webpackConfigHook: (config) => ({ ...config, context: PACKAGE_ROOT }),
  });
  return code;
}

/** The workflow code a worker runs: the prebuilt bundle, or the workflows bundled now. */
export async function workflowCode(bundlePath: string | undefined): Promise<string> {
  return bundlePath ? fs.readFileSync(bundlePath, 'utf8') : bundleWorkflows();
}

export interface WorkerHandle {
  worker: Worker;
  /** The worker's connection; a Client built on it can start workflows eagerly on this worker. Closed on shutdown. */
  connection: NativeConnection;
  /** Resolves when the worker has stopped (after `shutdown()`), rejects if it crashed. */
  running: Promise<void>;
  /** Stops polling, lets running activities finish within the grace time, then closes the connection. */
  shutdown(): Promise<void>;
  /** The Worker Deployment version it polls as; undefined: unversioned. */
  deploymentVersion: DeploymentVersion | undefined;
  /** What TEMPORAL_WORKER_PROMOTE did, once the server has seen this worker poll; undefined: unversioned. */
  promotion: Promise<PromotionOutcome> | undefined;
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
  /** Worker Versioning (TEMPORAL_WORKER_DEPLOYMENT, _BUILD_ID, _PROMOTE); undefined: an unversioned worker. */
  versioning?: WorkerVersioning;
  /** Where promotion tells what it did; required with `versioning`. */
  logger?: Logger;
}): Promise<WorkerHandle> {
  installTemporalRuntime();
  const connection = await NativeConnection.connect(sdkConnectionOptions(opts.address, opts.security)).catch(
    (error: unknown) => {
      throw new TemporalConnectError(opts.address, opts.security ?? { tls: undefined, apiKey: undefined }, error);
    },
  );
  // A versioned worker without a build id is named by its workflow code, so the code is read (or bundled) first.
  const code =
    opts.versioning && opts.versioning.buildId === undefined ? await workflowCode(opts.workflowBundlePath) : undefined;
  // (Unversioned and without a prebuilt bundle, the SDK bundles the workflows itself, as it always has.)
  const deploymentVersion = opts.versioning && {
    deploymentName: opts.versioning.deploymentName,
    buildId: opts.versioning.buildId ?? workflowBuildId(code!),
  };
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(code !== undefined
      ? { workflowBundle: { code } }
      : opts.workflowBundlePath
        ? { workflowBundle: { codePath: opts.workflowBundlePath } }
        : { workflowsPath: WORKFLOWS_PATH }),
    // Pinned by default: an event's workflow finishes on the build it started on. Conversation timers say otherwise
    // for themselves (workflows/conversation.ts).
    ...(deploymentVersion
      ? {
          workerDeploymentOptions: {
            useWorkerVersioning: true,
            version: deploymentVersion,
            defaultVersioningBehavior: 'PINNED' as const,
          },
        }
      : {}),
    activities: createActivities(opts.deps),
    dataConverter: payloadDataConverter(opts.payloadKeys),
    shutdownGraceTime: opts.shutdownGraceMs ?? 30_000,
    ...opts.tuning,
  });
  const stopping = new AbortController();
  const running = worker.run().finally(() => {
    stopping.abort();
    return connection.close();
  });
  const promotion =
    deploymentVersion &&
    promoteIfNew({
      connection,
      namespace: opts.namespace,
      version: deploymentVersion,
      promote: opts.versioning!.promote,
      logger: opts.logger!,
      signal: stopping.signal,
    });
  // Told through the handle; a rejection here must not become an unhandled one.
  promotion?.catch(() => undefined);
  return {
    worker,
    connection,
    running,
    deploymentVersion,
    promotion,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
