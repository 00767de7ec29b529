// Where every configured feed stands: last applied date, lag, next due date, and what is
// pending, missing or failing. `feedline status` prints it; its exit code is for monitoring.
import type { Config, FeedSpec } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { getCursor } from '../db/cursors.js';
import { listFetches } from '../db/fetches.js';
import { feedRunsInProgress } from '../db/run-lookups.js';
import { addDays, daysBetween, isPublishedOn, latestPublishedDate, parseDayFields, publicationTime } from './due.js';
import { planFromDb } from './pull.js';

/** current: nothing overdue. behind: a due date not applied past its give-up time, or a backlog. failing / missing: see `failing`, `missing`. */
export type FeedState = 'current' | 'behind' | 'missing' | 'failing';

export interface FeedStatus extends FeedSpec {
  state: FeedState;
  lastAppliedDate: string | null;
  /** Days from the last applied date to the latest date this feed was due; null before the first. */
  lagDays: number | null;
  /** Due and not applied yet, oldest first (dates still inside their give-up window included). */
  pending: string[];
  /** Dates given up as missing in the last FEEDLINE_MAX_BACKLOG_DAYS days. */
  missing: string[];
  /** The last failed attempt at a pending date. */
  failing: { date: string; error: string | null; httpStatus: number | null; attempts: number } | null;
  /** Runs of this feed still parsing or applying. */
  runsInProgress: number[];
  backlogDays: number;
  overBacklog: boolean;
  nextDue: string;
  nextDueAt: string;
}

export interface StatusReport {
  at: string;
  state: FeedState;
  exitCode: number;
  feeds: FeedStatus[];
}

/** `feedline status` exit codes (README "Exit codes"). */
export const STATUS_EXIT = { current: 0, behind: 6, failing: 7 } as const;

export async function feedStatuses(deps: { config: Config; db: Database }, now: Date): Promise<StatusReport> {
  const { config, db } = deps;
  const fullDays = parseDayFields(config.provider.fullFeedDays);
  const latest = latestPublishedDate(now, config.publicationHour);
  const since = addDays(latest, -config.provider.maxBacklogDays);
  const fetches = await listFetches(db.orm, config.source, since);
  const inProgress = await feedRunsInProgress(db.orm, config.source);
  const feeds: FeedStatus[] = [];
  for (const feed of config.provider.feeds) {
    const plan = await planFromDb(deps, feed, now);
    const cursor = (await getCursor(db.orm, config.source, feed)) ?? null;
    const mine = (r: { entity: string; kind: string; country: string }) => r.entity === feed.entity && r.kind === feed.kind && r.country === feed.country;
    const records = fetches.filter(mine);
    const missing = records.filter((r) => r.status === 'missing').map((r) => r.feedDate);
    const pendingSet = new Set(plan.pending);
    const failed = records.filter((r) => r.status === 'failed' && pendingSet.has(r.feedDate)).at(-1);
    let latestDue = latest;
    for (let i = 0; i < 400 && !isPublishedOn(feed, latestDue, fullDays); i++) latestDue = addDays(latestDue, -1);
    const overdue = plan.pending.some((d) => publicationTime(d, config.publicationHour).getTime() + config.provider.giveUpHours * 3_600_000 <= now.getTime());
    const state: FeedState = failed ? 'failing' : missing.length > 0 ? 'missing' : plan.overBacklog || overdue ? 'behind' : 'current';
    feeds.push({
      ...feed,
      state,
      lastAppliedDate: cursor,
      lagDays: cursor === null ? null : Math.max(0, daysBetween(cursor, latestDue)),
      pending: plan.pending,
      missing,
      failing: failed ? { date: failed.feedDate, error: failed.lastError, httpStatus: failed.lastHttpStatus, attempts: failed.attempts } : null,
      runsInProgress: inProgress.filter(mine).map((r) => r.id),
      backlogDays: plan.backlogDays,
      overBacklog: plan.overBacklog,
      nextDue: plan.nextDue,
      nextDueAt: plan.nextDueAt.toISOString(),
    });
  }
  const worst = feeds.some((f) => f.state === 'failing' || f.state === 'missing')
    ? (feeds.some((f) => f.state === 'failing') ? 'failing' : 'missing')
    : feeds.some((f) => f.state === 'behind') ? 'behind' : 'current';
  const exitCode = worst === 'current' ? STATUS_EXIT.current : worst === 'behind' ? STATUS_EXIT.behind : STATUS_EXIT.failing;
  return { at: now.toISOString(), state: worst, exitCode, feeds };
}
