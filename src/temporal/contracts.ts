/**
 * The contract between the workflows and everyone who starts, signals or queries them: workflow type names, their
 * inputs and results, signals, queries and every workflow id. Callers import these definitions; no workflow type,
 * signal or query name is written anywhere else.
 *
 * Loaded into the workflow bundle: only types and `@temporalio/common` here (no zod, no I/O), since the bundle loads
 * its modules again for every workflow.
 */
import type { Priority, QueryDefinition, SignalDefinition } from '@temporalio/common';

import type { ChatEventResult, DeliverySummary } from '../domain/delivery';
import type { ChatEvent } from '../domain/events';
import type { PurgeCounts, PurgeStep } from '../domain/retention';

/** Workflow type names, as the worker registers them (the exported function names in workflows/index.ts). */
export const WorkflowType = {
  chatEvent: 'chatEventWorkflow',
  conversation: 'conversationWorkflow',
  replayDelivery: 'replayDeliveryWorkflow',
  recoverWebhook: 'recoverWebhookWorkflow',
  purge: 'purgeWorkflow',
} as const satisfies Record<string, keyof WorkflowContracts>;

/**
 * How soon an app's work runs when the task queue has a backlog: Temporal's priority keys, 1 first (the server's
 * default range is 1 to 5, and unset means 3). An owner waiting on a test send or a replay goes ahead of live events,
 * and a bulk recovery behind them.
 */
export const Urgency = { ownerWaiting: 2, event: 3, bulk: 4 } as const;

/**
 * The priority every workflow working for an app starts with; its activities inherit it. The fairness key is the app,
 * so a server with fairness on (matching.enableFairness) shares dispatch among apps instead of serving one app's
 * backlog first.
 */
export function appPriority(appId: string, urgency: keyof typeof Urgency): Priority {
  return { fairnessKey: appId, priorityKey: Urgency[urgency] };
}

export interface ConversationInput {
  appId: string;
  conversationId: string;
  idleTimeoutMs: number;
  /** The last user seen, carried into the "Conversation end" payload. */
  user: ChatEvent['user'];
  /** The first wait, when shorter than the idle time (a run continued as new in the middle of a wait). */
  firstWaitMs?: number;
}

export interface ReplayInput {
  appId: string;
  deliveryId: string;
}

export interface RecoveryInput {
  appId: string;
  webhookId: string;
  since: string;
  until: string;
  /** Carried across continue-as-new. */
  progress?: RecoveryProgress;
  after?: { createdAt: string; id: string };
}

export interface RecoveryProgress {
  total: number;
  sent: number;
  succeeded: number;
  failed: number;
  done: boolean;
}

/** What the retention schedule's purge is started with: the retention periods come from the config of `migrate`. */
export interface PurgeInput {
  payloadRetentionMs: number;
  logRetentionMs: number;
  batchSize: number;
  /** Carried across continue-as-new: where the purge is, and what it has done. */
  step?: PurgeStep;
  counts?: PurgeCounts;
  batches?: number;
}

export interface PurgeResult {
  counts: PurgeCounts;
  /** Statements run, over every run. */
  batches: number;
}

/** Each workflow's signature; workflows/index.ts checks that the implementations match. */
export interface WorkflowContracts {
  chatEventWorkflow: (event: ChatEvent) => Promise<ChatEventResult>;
  conversationWorkflow: (input: ConversationInput) => Promise<'idle' | 'ended'>;
  replayDeliveryWorkflow: (input: ReplayInput) => Promise<DeliverySummary>;
  recoverWebhookWorkflow: (input: RecoveryInput) => Promise<RecoveryProgress>;
  purgeWorkflow: (input: PurgeInput) => Promise<PurgeResult>;
}
export type ChatEventWorkflow = WorkflowContracts['chatEventWorkflow'];
export type ConversationWorkflow = WorkflowContracts['conversationWorkflow'];
export type ReplayDeliveryWorkflow = WorkflowContracts['replayDeliveryWorkflow'];
export type RecoverWebhookWorkflow = WorkflowContracts['recoverWebhookWorkflow'];
export type PurgeWorkflow = WorkflowContracts['purgeWorkflow'];

function signal<Args extends unknown[] = [], Name extends string = string>(name: Name): SignalDefinition<Args, Name> {
  return { type: 'signal', name } as SignalDefinition<Args, Name>;
}

function query<Ret, Name extends string = string>(name: Name): QueryDefinition<Ret, [], Name> {
  return { type: 'query', name } as QueryDefinition<Ret, [], Name>;
}

/** To chat-event, replay and recovery workflows: these webhooks were deleted or disabled, so stop waiting to retry. */
export const webhooksChanged = signal<[webhookIds: string[]]>('webhooksChanged');
/** To a conversation: the backend ended it, so its idle timer stops quietly. */
export const conversationEnded = signal('conversationEnded');
/**
 * To a conversation, per message, from chat-event workflows started before conversation clocks moved to Postgres.
 * Still handled, so their histories replay; nothing new sends it.
 */
export const messageSeen = signal<[{ user: ChatEvent['user'] }]>('messageSeen');
/** A recovery's counts so far. */
export const recoveryProgress = query<RecoveryProgress>('progress');

/** One workflow per (app, event id): Temporal refuses a second start, which is the first line of deduplication. */
export function chatEventWorkflowId(appId: string, eventId: string): string {
  return `chat-event:${appId}:${eventId}`;
}

/** One idle-timer workflow per conversation. */
export function conversationWorkflowId(appId: string, conversationId: string): string {
  return `conversation:${appId}:${conversationId}`;
}

/** One replay per (delivery, idempotency key): repeating the request finds the replay it started. */
export function replayWorkflowId(appId: string, deliveryId: string, key: string): string {
  return `replay:${appId}:${deliveryId}:${key}`;
}

export function recoveryWorkflowId(appId: string, recoveryId: string): string {
  return `recovery:${appId}:${recoveryId}`;
}

/**
 * The Temporal Schedule that starts the purge, one per task queue (each deployment on a shared namespace purges its
 * own database); `migrate` and dev mode create or update it.
 */
export function retentionScheduleId(taskQueue: string): string {
  return `retention:${taskQueue}`;
}

/** The purge a retention schedule starts (the schedule appends the start time to it). */
export function purgeWorkflowId(scheduleId: string): string {
  return `purge:${scheduleId.replace(/^retention:/, '')}`;
}

/** The event id of a conversation's idle end: one per conversation. */
export function idleEndEventId(conversationId: string): string {
  return `idle-end:${conversationId}`;
}
