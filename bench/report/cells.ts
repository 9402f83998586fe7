/**
 * How a figure is written in a report cell: rounding, missing values ("–"), capped maxima ("+"), signed changes.
 */
import { round } from '../lib/common';
import type { Breakdown } from '../lib/history';
import type { SystemResult, ToggleResult } from './results';

/** A number to `digits` decimals; "–" when missing. */
export const f = (n: number | undefined, digits = 1) =>
  n === undefined || !Number.isFinite(n) ? '–' : String(round(n, digits));

/** Milliseconds: whole from 100 up, else one decimal. */
export const ms = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? '–' : n >= 100 ? String(Math.round(n)) : String(round(n, 1));

export const pct = (n: number) => `${round(n * 100, 1)}%`;

/** A target's verdict. */
export const mark = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**');

export function engineCell(engines: Record<string, number>): string {
  const parts = Object.entries(engines).map(([name, v]) => `${name} ${f(v, 1)}`);
  return parts.length ? parts.join(' + ') : 'none';
}

/** A system's maximum, "+" when the highest rate tried still passed (a lower bound). */
export function maxCell(s: SystemResult): string {
  if (s.status !== 'measured') return 'skipped';
  return `${s.max}${s.capped ? '+' : ''}`;
}

/** The rates a variant's short ramp stepped through. */
export function rates(t: ToggleResult | undefined): string {
  return t ? t.steps.map((s) => s.rate).join(' / ') : '–';
}

/** "2 workflow tasks, 1 activity, 1 local activity, 17 history events" (local activities only where counted). */
export function perWorkflowCounts(b: Breakdown): string {
  return [
    `${f(b.workflowTasksPerWorkflow)} workflow ${b.workflowTasksPerWorkflow === 1 ? 'task' : 'tasks'}`,
    `${f(b.activitiesPerWorkflow)} ${b.activitiesPerWorkflow === 1 ? 'activity' : 'activities'}`,
    ...(b.localActivitiesPerWorkflow === undefined
      ? []
      : [`${f(b.localActivitiesPerWorkflow)} local ${b.localActivitiesPerWorkflow === 1 ? 'activity' : 'activities'}`]),
    `${f(b.historyEventsPerWorkflow, 0)} history events`,
  ].join(', ');
}

export function phase(b: Breakdown | undefined, name: string): { p50: number; p95: number } | undefined {
  return b?.phases.find((p) => p.phase === name);
}

export function cpuTotal(c: { api: number; worker?: number; engines: Record<string, number> }): number {
  return c.api + (c.worker ?? 0) + Object.values(c.engines).reduce((a, b) => a + b, 0);
}

/** Relative change from `before` to `now`, signed ("−12.5%"); "–" when either is missing. */
export function change(before: number | undefined, now: number | undefined): string {
  if (before === undefined || now === undefined || !Number.isFinite(before) || !Number.isFinite(now) || before === 0)
    return '–';
  const d = (now - before) / before;
  if (round(d * 100, 1) === 0) return '0%';
  return `${d < 0 ? '−' : '+'}${pct(Math.abs(d))}`;
}

/** Like `change`, for maxima: a capped one ("+") is a lower bound, so the change is one too. */
export function maxChange(before: SystemResult | undefined, now: SystemResult | undefined): string {
  if (before?.capped && now?.capped) return '– (both capped)';
  const c = change(before?.max, now?.max);
  return c === '–' ? c : now?.capped ? `≥ ${c}` : before?.capped ? `≤ ${c}` : c;
}

/** `WORKER_MAX_CONCURRENT_WORKFLOW_TASKS=10, WORKER_MAX_CONCURRENT_ACTIVITIES=20` (older results: the SDK's option names). */
export function tuningLabel(value: Record<string, unknown>): string {
  return `\`${Object.entries(value)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ')}\``;
}

/** Whether chat-webhooks' maximum is at least `atLeast` × another system's (issue 7: 0.9 × bare-temporal). */
export function throughputVerdict(
  chat: SystemResult | undefined,
  bare: SystemResult | undefined,
  atLeast = 0.9,
): string {
  if (!chat?.max || !bare?.max) return mark(undefined);
  const met = chat.max / bare.max >= atLeast;
  // A capped maximum is a lower bound, so the ratio is a lower bound when chat-webhooks is capped and an upper bound
  // when bare-temporal is: some cases stay open.
  if ((chat.capped && bare.capped) || (chat.capped && !met) || (bare.capped && met))
    return 'open (a maximum is capped)';
  return mark(met);
}
