/**
 * The shape of a results file (bench/results/<date>-<sha>.json): every figure a run measured, from which the report
 * and the chart are drawn. Older results files lack some fields; those are optional here, so --render still reads them.
 */
import type { Breakdown } from '../lib/history';
import type { ReceiverStats } from '../lib/infra';
import type { LIMITS, RampResult, StepResult } from '../lib/load';
import type { ProfileSummary } from '../lib/profile';
import type { SettingsLookupResult } from '../scenarios/settings-lookup';

export interface SystemResult {
  name: string;
  status: 'measured' | 'skipped';
  skipReason?: string;
  ramp?: RampResult;
  max?: number;
  capped?: boolean;
  half?: StepResult;
  resources?: {
    windowS: number;
    cpuMsPerEvent: { api: number; worker?: number; engines: Record<string, number> };
    cpuPercent: { api: number; worker?: number; engines: Record<string, number> };
    /** The bench's own load generator (this process) and receiver, per event of the system. */
    harnessCpuMsPerEvent: { generator: number; receiver: number };
    peakRssMb: { api: number; worker?: number };
    totalCpuS: { api: number; worker?: number };
  };
  /** New connections the receiver accepted, and requests it got, over the whole measurement of the system. */
  receiver?: { connections: number; requests: number };
  startMs?: { api: number; worker?: number };
  breakdown?: Breakdown;
  /** chat-webhooks: the idle-timer workflows of the sampled events' conversations (one per conversation). */
  conversationBreakdown?: Breakdown;
  /** chat-webhooks: messages per conversation in the load, so conversation workflows per event = 1 / this. */
  eventsPerConversation?: number;
  /** Postgres work per accepted event during the 50% run (pg_stat_database; real Postgres only). */
  dbPerEvent?: { xacts: number; rowsFetched: number; rowsInserted: number; rowsUpdated: number };
  notes: string[];
}

export interface ToggleResult {
  label: string;
  maxEventsPerS: number;
  allPassed: boolean;
  atBase?: StepResult;
  steps: StepResult[];
  /** CPU per accepted event over the whole short ramp: API, worker, engines (Temporal, Postgres), all together. */
  cpuMsPerEvent: { api: number; worker: number; engines: number; total: number };
  /** Workflow histories of the step at the reference rate (some variants only). */
  breakdown?: Breakdown;
  /** Single process only: chat-event workflows started over the ramp, and how many the server started eagerly. */
  starts?: { started: number; eagerlyStarted: number };
}

export interface BenchResults {
  meta: {
    date: string;
    sha: string;
    /** The working tree differed from `sha` (tracked files): the run measured uncommitted code. Absent in older results. */
    dirty?: boolean;
    command: string;
    quick: boolean;
    machine: { cpu: string; cores: number; memoryGb: number; node: string; os: string };
    limits: typeof LIMITS;
    infra: {
      temporal?: string;
      postgres?: string;
      redis?: string;
      bundleMs?: { chatWebhooks: number; bareTemporal: number };
      bundleKb?: { chatWebhooks: number; bareTemporal: number; chatWebhooksWithoutZod?: number };
    };
    startedAt: string;
    /** Share of CPU busy in the second before the bench started anything (other work on the machine). */
    busyBeforeStart: number;
    loadAverage: { start: number; end: number };
    durationS: number;
    chatSetup: { apps: number; webhooks: number };
  };
  systems: SystemResult[];
  fanout: Array<{
    webhooks: number;
    maxEventsPerS: number;
    capped: boolean;
    deliveriesPerS: number;
    atMax?: StepResult;
    steps: StepResult[];
  }>;
  /** --stack production: the Temporal systems again on the production stack (Temporal server on Postgres). */
  productionStack?: { systems: SystemResult[]; seconds: number };
  /** Tenants: app B's latency alone, and during app A's burst with task-queue fairness off and on. */
  fairness?: {
    burstEvents: number;
    bRate: number;
    runs: Array<{
      variant: 'alone' | 'fairness off' | 'fairness on';
      step: StepResult;
      burst?: { accepted: number; errors: number; seconds: number };
    }>;
  };
  /** The slow path: one first attempt in `every` refused (503), retried after RETRY_SCHEDULE's first delay. */
  retries?: {
    every: number;
    retryScheduleS: number;
    steps: Array<{
      step: StepResult;
      /** First attempts the receiver refused during the step. */
      failedFirst: number;
      cpuMsPerEvent: { api: number; worker: number; engines: Record<string, number>; total: number };
      breakdown?: Breakdown;
    }>;
  };
  conditions?: {
    events: number;
    accepted: number;
    llmCalls: number;
    callsPerEvent: number;
    conditionsPerCall: number;
    conditionDeliveries: number;
    expectedConditionDeliveries: number;
    step: StepResult;
    /** The same webhooks with prefilters that refuse four of five conditions before the LLM. */
    prefiltered?: {
      events: number;
      accepted: number;
      llmCalls: number;
      callsPerEvent: number;
      conditionsPerCall: number;
      conditionDeliveries: number;
      expectedLlmCalls: number;
    };
  };
  optimisations: {
    /** The product restarted as in the main run, measured just before the variants below. */
    baseline?: ToggleResult;
    workerStart: Array<{ prebuilt: boolean; ms: number; peakRssMb: number }>;
    runtime: Array<ToggleResult & { value: string }>;
    bundle: Array<ToggleResult & { value: string }>;
    poolSize: Array<ToggleResult & { value: number }>;
    /** WORKER_* variables (results before they existed hold the SDK's option names instead). */
    tuning: Array<ToggleResult & { value: Record<string, unknown> }>;
    /** CONVERSATION_IDLE_TIMEOUT values other than the default; absent in older results. */
    idleTimeout?: Array<ToggleResult & { value: string }>;
    /** TEMPORAL_PAYLOAD_ENCRYPTION=off against the baseline (on): what the payload codec costs. */
    encryption?: Array<ToggleResult & { value: string }>;
    /** API and worker in one process on the worker's NativeConnection, eager start off and on; absent in older results. */
    singleProcess?: Array<ToggleResult & { value: { eager: boolean } }>;
    pragmas: Array<ToggleResult & { value: string[] }>;
    /** The reads a worker-side settings cache would replace, measured alone; absent in older results. */
    settingsLookup?: SettingsLookupResult;
  };
  profile?: { rate: number; durationS: number; events: number; api?: ProfileSummary; worker?: ProfileSummary };
  receiver?: ReceiverStats;
  notes: string[];
}

/** A run's results before anything is measured: the scenarios fill them in. */
export function newResults(meta: BenchResults['meta']): BenchResults {
  return {
    meta,
    systems: [],
    fanout: [],
    optimisations: {
      workerStart: [],
      runtime: [],
      bundle: [],
      poolSize: [],
      tuning: [],
      idleTimeout: [],
      singleProcess: [],
      pragmas: [],
    },
    notes: [],
  };
}
