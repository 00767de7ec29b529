// Which (feed, date) pairs are due: pure date arithmetic over a feed's cursor, so the
// scheduler, the fetch worker and `feedline status` agree, and tests can move the clock.
//
// A date D is due once the provider has published it (D at FEEDLINE_PUBLICATION_HOUR UTC)
// and the feed's cursor is before it. Full feeds are published only on the days named by
// FEEDLINE_FULL_FEED_DAYS (cron day fields). Dates recorded as missing are stepped over.
// Catch-up is in date order; a backlog longer than FEEDLINE_MAX_BACKLOG_DAYS is not pulled
// automatically: it alerts and waits for an operator (`feedline replay`).
import type { FeedSpec } from '../config/schema.js';
import { UsageError } from '../errors.js';

const DAY_MS = 24 * 60 * 60 * 1000;
// A feed whose cursor is years old is a configuration problem, not a loop to run forever.
const MAX_SCAN_DAYS = 3660;

/** YYYY-MM-DD plus n days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from a to b (b - a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** When the provider publishes a date's feed: the SLA clock starts here (docs/feeds.md). */
export function publicationTime(date: string, publicationHour: number): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) + publicationHour * 60 * 60 * 1000);
}

/** The newest date whose feed is published at `now`. */
export function latestPublishedDate(now: Date, publicationHour: number): string {
  const today = utcDate(now);
  return now.getTime() >= publicationTime(today, publicationHour).getTime() ? today : addDays(today, -1);
}

/** Matches a date against cron day fields "day-of-month month day-of-week". */
export type DayMatcher = (date: string) => boolean;

/**
 * Parses cron day fields (`* * 1` Mondays, `1 * *` the 1st of each month, `1,15 * *`,
 * `* * 1-5`, `*\/2 * *`). As in cron, when both day-of-month and day-of-week are restricted
 * a date matching either is due. Throws a UsageError naming FEEDLINE_FULL_FEED_DAYS.
 */
export function parseDayFields(spec: string): DayMatcher {
  const parts = spec.trim().split(/\s+/);
  if (parts.length !== 3) throw new UsageError(`FEEDLINE_FULL_FEED_DAYS: expected three cron day fields "day-of-month month day-of-week", got ${JSON.stringify(spec)}`);
  const [domSpec, monthSpec, dowSpec] = parts as [string, string, string];
  const dom = parseField(domSpec, 1, 31, 'day-of-month');
  const month = parseField(monthSpec, 1, 12, 'month');
  const dow = parseField(dowSpec.replace(/\b7\b/g, '0'), 0, 6, 'day-of-week');
  const domAny = domSpec === '*';
  const dowAny = dowSpec === '*';
  return (date) => {
    const d = new Date(`${date}T00:00:00Z`);
    if (!month.has(d.getUTCMonth() + 1)) return false;
    const domHit = dom.has(d.getUTCDate());
    const dowHit = dow.has(d.getUTCDay());
    if (domAny || dowAny) return domHit && dowHit;
    return domHit || dowHit;
  };
}

function parseField(field: string, min: number, max: number, name: string): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new UsageError(`FEEDLINE_FULL_FEED_DAYS: bad ${name} field ${JSON.stringify(field)}`);
    const from = match[1] === '*' ? min : Number(match[2]);
    const to = match[1] === '*' ? max : match[3] !== undefined ? Number(match[3]) : match[4] !== undefined ? max : from;
    const step = match[4] !== undefined ? Number(match[4]) : 1;
    if (from < min || to > max || from > to || step < 1) throw new UsageError(`FEEDLINE_FULL_FEED_DAYS: ${name} ${JSON.stringify(part)} is outside ${min}-${max}`);
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

export interface PlanInput {
  feed: FeedSpec;
  /** Last applied date, if any. */
  cursor: string | undefined;
  /** FEEDLINE_START_DATE: where a feed without a cursor starts (default: the latest published date). */
  startDate: string | undefined;
  /** Dates recorded as missing: not due again. */
  missing: ReadonlySet<string>;
  now: Date;
  publicationHour: number;
  fullFeedDays: DayMatcher;
  maxBacklogDays: number;
}

export interface FeedPlan {
  feed: FeedSpec;
  /** Dates due and not applied, oldest first (missing dates excluded). */
  pending: string[];
  /** Days from the oldest pending date to the latest published one, inclusive. */
  backlogDays: number;
  /** The backlog is beyond FEEDLINE_MAX_BACKLOG_DAYS: nothing is pulled until an operator acts. */
  overBacklog: boolean;
  /** The first date pulled next; undefined when nothing is due (or over the backlog). */
  next: string | undefined;
  /** The first date after the latest published one on which this feed is published. */
  nextDue: string;
  nextDueAt: Date;
}

export function isPublishedOn(feed: FeedSpec, date: string, fullFeedDays: DayMatcher): boolean {
  return feed.kind !== 'full' || fullFeedDays(date);
}

export function planFeed(input: PlanInput): FeedPlan {
  const { feed, now, publicationHour, fullFeedDays } = input;
  const latest = latestPublishedDate(now, publicationHour);
  let first = input.cursor ? addDays(input.cursor, 1) : (input.startDate ?? latest);
  if (daysBetween(first, latest) > MAX_SCAN_DAYS) first = addDays(latest, -MAX_SCAN_DAYS);
  const pending: string[] = [];
  for (let date = first; date <= latest; date = addDays(date, 1)) {
    if (isPublishedOn(feed, date, fullFeedDays) && !input.missing.has(date)) pending.push(date);
  }
  const backlogDays = pending.length === 0 ? 0 : daysBetween(pending[0]!, latest) + 1;
  const overBacklog = backlogDays > input.maxBacklogDays;
  let nextDue = addDays(latest, 1);
  for (let i = 0; i < 400 && !isPublishedOn(feed, nextDue, fullFeedDays); i++) nextDue = addDays(nextDue, 1);
  return {
    feed,
    pending,
    backlogDays,
    overBacklog,
    next: overBacklog ? undefined : pending[0],
    nextDue,
    nextDueAt: publicationTime(nextDue, publicationHour),
  };
}
