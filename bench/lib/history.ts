/**
 * Where an event's time goes inside Temporal, read from workflow histories: each workflow task and each activity,
 * from scheduled to started (waiting for a worker to pick it up) and from started to completed (running).
 */
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

import { summarise } from './common';
import { temporalConnection } from './systems';

const E = temporal.api.enums.v1.EventType;

function ms(ts: temporal.api.history.v1.IHistoryEvent['eventTime']): number {
  if (!ts) return Number.NaN;
  return Number(ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6;
}

export interface Phase {
  phase: string;
  /** median and p95 across the sampled workflows, ms */
  p50: number;
  p95: number;
  /** how many times per workflow */
  perWorkflow: number;
}

export interface Breakdown {
  workflows: number;
  phases: Phase[];
  /** First event to workflow close, ms */
  total: { p50: number; p95: number };
  workflowTasksPerWorkflow: number;
  activitiesPerWorkflow: number;
  /** Local activity markers: run inside a workflow task, so they add neither a task nor a wait. Absent in older results. */
  localActivitiesPerWorkflow?: number;
  historyEventsPerWorkflow: number;
}

/** Fetches the histories of `workflowIds` and summarises their phases. */
export async function historyBreakdown(address: string, workflowIds: string[]): Promise<Breakdown> {
  const client = new Client({ connection: await temporalConnection(address) });
  const samples = new Map<string, number[]>();
  const add = (key: string, value: number) => {
    if (!Number.isFinite(value)) return;
    const list = samples.get(key) ?? [];
    list.push(value);
    samples.set(key, list);
  };
  const totals: number[] = [];
  let wfts = 0;
  let activities = 0;
  let localActivities = 0;
  let events = 0;
  let counted = 0;
  for (const id of workflowIds) {
    let history;
    try {
      history = await client.workflow.getHandle(id).fetchHistory();
    } catch {
      continue;
    }
    const list = history.events ?? [];
    if (list.length === 0) continue;
    counted++;
    events += list.length;
    const byId = new Map<number, temporal.api.history.v1.IHistoryEvent>();
    for (const ev of list) byId.set(Number(ev.eventId), ev);
    const first = ms(list[0]!.eventTime);
    const last = ms(list[list.length - 1]!.eventTime);
    totals.push(last - first);
    let wftIndex = 0;
    for (const ev of list) {
      if (ev.eventType === E.EVENT_TYPE_WORKFLOW_TASK_STARTED) {
        const scheduled = byId.get(Number(ev.workflowTaskStartedEventAttributes?.scheduledEventId));
        add(
          `workflow task ${wftIndex === 0 ? '1' : '2+'}: wait for worker`,
          ms(ev.eventTime) - ms(scheduled?.eventTime),
        );
      }
      if (ev.eventType === E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
        const started = byId.get(Number(ev.workflowTaskCompletedEventAttributes?.startedEventId));
        add(`workflow task ${wftIndex === 0 ? '1' : '2+'}: run`, ms(ev.eventTime) - ms(started?.eventTime));
        wftIndex++;
        wfts++;
      }
      // patched() records markers too ("core_patch"); only local activities count here.
      if (
        ev.eventType === E.EVENT_TYPE_MARKER_RECORDED &&
        ev.markerRecordedEventAttributes?.markerName === 'core_local_activity'
      )
        localActivities++;
      if (ev.eventType === E.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        const scheduled = byId.get(Number(ev.activityTaskStartedEventAttributes?.scheduledEventId));
        const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        add(`${name}: wait for worker`, ms(ev.eventTime) - ms(scheduled?.eventTime));
      }
      if (ev.eventType === E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        const attrs = ev.activityTaskCompletedEventAttributes;
        const scheduled = byId.get(Number(attrs?.scheduledEventId));
        const started = byId.get(Number(attrs?.startedEventId));
        const name = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        add(`${name}: run`, ms(ev.eventTime) - ms(started?.eventTime));
        activities++;
      }
    }
  }
  const phases: Phase[] = [...samples.entries()].map(([phase, values]) => {
    const s = summarise(values);
    return { phase, p50: s.p50, p95: s.p95, perWorkflow: values.length / Math.max(1, counted) };
  });
  const t = summarise(totals);
  return {
    workflows: counted,
    phases,
    total: { p50: t.p50, p95: t.p95 },
    workflowTasksPerWorkflow: wfts / Math.max(1, counted),
    activitiesPerWorkflow: activities / Math.max(1, counted),
    localActivitiesPerWorkflow: localActivities / Math.max(1, counted),
    historyEventsPerWorkflow: events / Math.max(1, counted),
  };
}
