// What the SLA page shows, decided here and not in the page: each feed's state (worst pending
// run, else missing when a missing alert is open, else ok or idle), its pending work and
// nearest deadline, the open alerts each feed has, and each recent takedown judged against
// the window by the one SLA rule. http/dashboard.ts only renders this.
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { feedProgress, openAlerts, recentAlertEvents, takedownsApplied, type AlertEventRow, type FeedProgress, type OpenAlert, type TakedownRecord } from '../db/sla.js';
import { slaLatencySeconds, slaSnapshot, withinWindow, type PendingRunSla, type SlaSnapshot } from './deadlines.js';
import { alertFeed, feedLabel, type FeedKey } from './subjects.js';

export type FeedState = 'ok' | 'warning' | 'breach' | 'missing' | 'idle';

export interface FeedBoardRow {
  label: string;
  /** The last feed date applied, or undefined when none was. */
  lastApplied?: string;
  /** Days from that date to today (UTC); null when nothing was applied. */
  lagDays: number | null;
  runs: PendingRunSla[];
  pendingChanges: number;
  oldestAgeSeconds: number | null;
  deadline: Date | null;
  state: FeedState;
  alerts: number;
}

export interface TakedownBoardRow extends TakedownRecord {
  latencySeconds: number | null;
  /** Applied within the SLA window of publication; null when the publication time is not known. */
  withinWindow: boolean | null;
}

export interface SlaBoard {
  now: Date;
  snapshot: SlaSnapshot;
  /** Configured feeds first, in configuration order; then any other feed that has runs. */
  feeds: FeedBoardRow[];
  alerts: OpenAlert[];
  breaches: AlertEventRow[];
  /** Takedowns applied in the last 7 days, newest first. */
  takedowns: TakedownBoardRow[];
}

const DAY_MS = 86_400_000;
const BREACHES_SHOWN = 15;
const TAKEDOWNS_SHOWN = 25;

export async function slaBoard(db: Database, options: { sla: Config['sla']; feeds: readonly FeedKey[]; now: Date }): Promise<SlaBoard> {
  const { sla, now } = options;
  const [snapshot, progress, alerts, breaches, takedowns] = await Promise.all([
    slaSnapshot(db, sla, now),
    feedProgress(db.orm),
    openAlerts(db.orm),
    recentAlertEvents(db.orm, { state: 'breach', limit: BREACHES_SHOWN }),
    takedownsApplied(db.orm, { from: new Date(now.getTime() - 7 * DAY_MS), to: new Date(now.getTime() + DAY_MS) }, TAKEDOWNS_SHOWN),
  ]);
  return {
    now, snapshot, alerts, breaches,
    feeds: feedRows(options.feeds, progress, snapshot.runs, alerts, now),
    takedowns: takedowns.map((t) => {
      const latencySeconds = slaLatencySeconds(t.publishedAt, t.appliedAt);
      return { ...t, latencySeconds, withinWindow: latencySeconds === null ? null : withinWindow(latencySeconds, sla) };
    }),
  };
}

function feedRows(configured: readonly FeedKey[], progress: readonly FeedProgress[], runs: readonly PendingRunSla[], alerts: readonly OpenAlert[], now: Date): FeedBoardRow[] {
  const key = (f: FeedKey) => feedLabel({ country: f.country, entity: f.entity, kind: f.kind });
  const rows = new Map<string, FeedBoardRow>();
  const progressByKey = new Map<string, FeedProgress>(progress.map((p) => [key(p), p]));
  const today = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`);
  const add = (f: FeedKey) => {
    const label = key(f);
    if (rows.has(label)) return;
    const p = progressByKey.get(label);
    rows.set(label, {
      label, lastApplied: p?.lastAppliedDate ?? undefined,
      lagDays: p?.lastAppliedDate ? Math.round((today - Date.parse(`${p.lastAppliedDate}T00:00:00Z`)) / DAY_MS) : null,
      runs: [], pendingChanges: 0, oldestAgeSeconds: null, deadline: null, state: p ? 'ok' : 'idle', alerts: 0,
    });
  };
  configured.forEach(add);
  progress.forEach(add);
  runs.forEach(add);
  for (const run of runs) {
    const row = rows.get(key(run))!;
    row.runs.push(run);
    row.pendingChanges += run.pendingChanges;
    row.oldestAgeSeconds = Math.max(row.oldestAgeSeconds ?? 0, run.ageSeconds);
    if (!row.deadline || run.deadline < row.deadline) row.deadline = run.deadline;
    if (run.state === 'breach' || (run.state === 'warning' && row.state !== 'breach')) row.state = run.state;
  }
  for (const alert of alerts) {
    const feed = alertFeed(alert.details);
    const row = feed ? rows.get(key(feed)) : undefined;
    if (!row) continue;
    row.alerts++;
    if (alert.kind === 'missing' && row.state !== 'breach') row.state = 'missing';
  }
  return [...rows.values()];
}
