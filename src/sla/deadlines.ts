// The SLA model (issue 4): every change's deadline is its feed's publication time plus the
// window (docs/feeds.md rule 1: 24 hours from the provider publishing). A change is
// pending from publication until its batch is applied; a run is as late as its oldest change.
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { pendingRuns, type PendingRun } from '../db/sla.js';

export type SlaState = 'ok' | 'warning' | 'breach';
export type ChangeAction = 'insert' | 'update' | 'delete';

export interface SlaClock {
  publishedAt: Date;
  warningAt: Date;
  deadline: Date;
}

export function slaClock(publishedAt: Date, sla: Config['sla']): SlaClock {
  return {
    publishedAt,
    warningAt: new Date(publishedAt.getTime() + sla.warningHours * 3_600_000),
    deadline: new Date(publishedAt.getTime() + sla.windowHours * 3_600_000),
  };
}

/** Seconds from publication to applied; null when the publication time is not known. */
export function slaLatencySeconds(publishedAt: Date | null, appliedAt: Date): number | null {
  return publishedAt ? (appliedAt.getTime() - publishedAt.getTime()) / 1000 : null;
}

/** The SLA rule itself: a change counts as in time when it was applied within the window of its publication. */
export function withinWindow(latencySeconds: number, sla: Pick<Config['sla'], 'windowHours'>): boolean {
  return latencySeconds <= sla.windowHours * 3600;
}

export function slaState(clock: SlaClock, now: Date): SlaState {
  if (now >= clock.deadline) return 'breach';
  if (now >= clock.warningAt) return 'warning';
  return 'ok';
}

/** A pending run with its clock and state at `now`. */
export interface PendingRunSla extends PendingRun, SlaClock {
  state: SlaState;
  ageSeconds: number;
  /** Negative once the deadline has passed. */
  secondsToDeadline: number;
  pendingChanges: number;
}

export interface PendingChanges {
  entity: string;
  country: string;
  action: ChangeAction;
  changes: number;
}

export interface SlaSnapshot {
  at: Date;
  windowHours: number;
  warningHours: number;
  runs: PendingRunSla[];
  /** Pending rows by entity, country and action, from the unapplied batches. */
  pending: PendingChanges[];
  /** Age of the oldest pending change (its run's publication); 0 when nothing is pending. */
  oldestPendingAgeSeconds: number;
  /** Until the nearest deadline of anything pending; null when nothing is pending. */
  nearestDeadlineSeconds: number | null;
  breaching: number;
  warning: number;
}

export function describeRunSla(run: PendingRun, sla: Config['sla'], now: Date): PendingRunSla {
  const clock = slaClock(run.publishedAt, sla);
  return {
    ...run,
    ...clock,
    state: slaState(clock, now),
    ageSeconds: Math.max(0, (now.getTime() - run.publishedAt.getTime()) / 1000),
    secondsToDeadline: (clock.deadline.getTime() - now.getTime()) / 1000,
    pendingChanges: run.pendingInserts + run.pendingUpdates + run.pendingDeletes,
  };
}

export async function slaSnapshot(db: Database, sla: Config['sla'], now: Date): Promise<SlaSnapshot> {
  const runs = (await pendingRuns(db.orm)).map((run) => describeRunSla(run, sla, now));
  const byKey = new Map<string, PendingChanges>();
  for (const run of runs) {
    for (const [action, count] of [['insert', run.pendingInserts], ['update', run.pendingUpdates], ['delete', run.pendingDeletes]] as const) {
      if (count === 0) continue;
      const key = `${run.entity}|${run.country}|${action}`;
      const entry = byKey.get(key) ?? { entity: run.entity, country: run.country, action, changes: 0 };
      entry.changes += count;
      byKey.set(key, entry);
    }
  }
  // Runs are ordered by publication, so the first is the oldest and the nearest deadline.
  const oldest = runs[0];
  return {
    at: now,
    windowHours: sla.windowHours,
    warningHours: sla.warningHours,
    runs,
    pending: [...byKey.values()],
    oldestPendingAgeSeconds: oldest ? oldest.ageSeconds : 0,
    nearestDeadlineSeconds: oldest ? oldest.secondsToDeadline : null,
    breaching: runs.filter((r) => r.state === 'breach').length,
    warning: runs.filter((r) => r.state === 'warning').length,
  };
}

export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let s = Math.round(Math.abs(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${sign}${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${sign}${m}m${String(s).padStart(2, '0')}s`;
  return `${sign}${s}s`;
}
