/**
 * Worker Versioning: a worker with TEMPORAL_WORKER_DEPLOYMENT set polls as one version (deployment name and build id)
 * of a Temporal Worker Deployment. New workflows start on the deployment's current version; an event's workflow is
 * pinned to the version it started on and finishes there, so a new build never replays an old build's history.
 * Conversation timers, which may wait for a long time, move to the current version (workflows/conversation.ts).
 *
 * The build id defaults to a hash of the workflow code (`workflowBuildId`): a release that changes no workflow keeps
 * its version, and its workers simply replace the old ones. Promotion (`promoteIfNew`): with TEMPORAL_WORKER_PROMOTE
 * =auto, a worker whose version has never been current or ramping makes it current once it polls. A version that was
 * current before (an old worker restarting, a build rolled back from) is left for the operator, so a restart never
 * undoes a rollout. With `manual`, the operator promotes or ramps with the Temporal CLI (README, "Rolling out a new
 * worker version").
 */
import crypto from 'node:crypto';
import os from 'node:os';

import type { temporal } from '@temporalio/proto';

import type { Logger } from '../logger';

/** A client's or a worker's connection: both carry the WorkflowService. */
export interface ServiceConnection {
  workflowService: temporal.api.workflowservice.v1.WorkflowService;
}

export type PromotePolicy = 'auto' | 'manual';

export interface WorkerVersioning {
  deploymentName: string;
  /** undefined: `workflowBuildId` of the bundle the worker runs. */
  buildId: string | undefined;
  promote: PromotePolicy;
}

export interface DeploymentVersion {
  deploymentName: string;
  buildId: string;
}

/**
 * `wf-` and 12 hex digits of the bundle's SHA-256, its source map left out: the map holds the absolute path of the
 * folder it was built in, the code does not. The same workflow sources give the same id wherever they are built.
 */
export function workflowBuildId(bundleCode: string): string {
  const code = bundleCode.replace(/\n\/\/# sourceMappingURL=[^\n]*\s*$/, '');
  return `wf-${crypto.createHash('sha256').update(code).digest('hex').slice(0, 12)}`;
}

/** `temporal worker deployment …`'s way of naming a version, as the UI and the CLI show it. */
export function versionLabel(v: DeploymentVersion): string {
  return `${v.deploymentName}:${v.buildId}`;
}

export type PromotionOutcome =
  /** This worker made its version current. */
  | 'promoted'
  /** It was current already (another worker of the same build made it so, or the operator did). */
  | 'current'
  /** It was current or ramping before; left as it is. */
  | 'not-new'
  /** TEMPORAL_WORKER_PROMOTE=manual. */
  | 'manual';

const GRPC = { NOT_FOUND: 5, FAILED_PRECONDITION: 9, ABORTED: 10 } as const;
const codeOf = (error: unknown): number | undefined => (error as { code?: unknown }).code as number | undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Status names of temporal.api.enums.v1.WorkerDeploymentVersionStatus, by number. */
const STATUS = ['unspecified', 'inactive', 'current', 'ramping', 'draining', 'drained', 'created'] as const;
export type VersionStatus = (typeof STATUS)[number];

export interface VersionState {
  status: VersionStatus;
  /** Was it ever current or ramping? */
  activated: boolean;
}

/** The version's state, or undefined while the server has not registered it (before its first poll). */
export async function describeVersion(
  connection: ServiceConnection,
  namespace: string,
  version: DeploymentVersion,
): Promise<VersionState | undefined> {
  try {
    const { workerDeploymentVersionInfo: info } = await connection.workflowService.describeWorkerDeploymentVersion({
      namespace,
      deploymentVersion: version,
    });
    const status = STATUS[info?.status ?? 0] ?? 'unspecified';
    return {
      status,
      activated:
        Boolean(info?.firstActivationTime) || status === 'current' || status === 'ramping' || status === 'draining',
    };
  } catch (error) {
    if (codeOf(error) === GRPC.NOT_FOUND) return undefined;
    throw error;
  }
}

/** The deployment's current build id; undefined when none is set (or the deployment does not exist yet). */
export async function currentBuildId(
  connection: ServiceConnection,
  namespace: string,
  deploymentName: string,
): Promise<{ buildId: string | undefined; conflictToken: Uint8Array | undefined }> {
  try {
    const res = await connection.workflowService.describeWorkerDeployment({ namespace, deploymentName });
    const current = res.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion;
    return { buildId: current?.buildId || undefined, conflictToken: res.conflictToken ?? undefined };
  } catch (error) {
    if (codeOf(error) === GRPC.NOT_FOUND) return { buildId: undefined, conflictToken: undefined };
    throw error;
  }
}

/**
 * Carries out TEMPORAL_WORKER_PROMOTE once the worker polls: waits until the server knows the version, then makes it
 * current if it is new. Another worker of the same build may win the race; that is the same outcome.
 */
export async function promoteIfNew(opts: {
  connection: ServiceConnection;
  namespace: string;
  version: DeploymentVersion;
  promote: PromotePolicy;
  logger: Logger;
  /** How long to wait for the server to register the version (default 2 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<PromotionOutcome> {
  const { connection, namespace, version, logger } = opts;
  const label = versionLabel(version);
  const identity = `chat-webhooks worker ${process.pid}@${os.hostname()}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    if (opts.signal?.aborted) throw new Error('promotion cancelled: the worker is stopping');
    const state = await describeVersion(connection, namespace, version);
    const current = await currentBuildId(connection, namespace, version.deploymentName);
    if (current.buildId === version.buildId) return 'current';
    if (opts.promote === 'manual') {
      if (current.buildId === undefined) {
        logger.warn(
          { deployment_version: label },
          'the Worker Deployment has no current version: new workflows wait until the operator sets one (temporal worker deployment set-current-version)',
        );
      }
      return 'manual';
    }
    if (state?.activated) return 'not-new';
    // "created" and undefined: the server has not seen this version's pollers yet.
    if (state && state.status !== 'created') {
      try {
        await connection.workflowService.setWorkerDeploymentCurrentVersion({
          namespace,
          deploymentName: version.deploymentName,
          buildId: version.buildId,
          ...(current.conflictToken ? { conflictToken: current.conflictToken } : {}),
          identity,
        });
        return 'promoted';
      } catch (error) {
        // A conflict (another worker changed routing meanwhile) or a task queue not yet polled: look again.
        if (codeOf(error) !== GRPC.FAILED_PRECONDITION && codeOf(error) !== GRPC.ABORTED) throw error;
        logger.debug({ deployment_version: label, err: error }, 'setting the current version: trying again');
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${label}: the server had not registered this version's pollers after ${opts.timeoutMs ?? 120_000} ms`,
      );
    }
    await sleep(500);
  }
}
