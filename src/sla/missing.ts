// Missing feeds: one alert per feed (entity, kind, country) listing every date missing, not
// one per date, so a catch-up over a week of gaps is one message, kept current as dates are
// given up on or arrive. Both the scheduler (when it gives up on a date, or applies one)
// and the SLA sweep bring the alert in line through syncMissingAlert.
import { updateOpenAlert } from '../db/alerts.js';
import type { Database } from '../db/client.js';
import { feedDateApplied, missingFeeds, type MissingFeed } from '../db/sla.js';
import type { Alerter } from './alerts.js';
import { alertSubject, feedLabel, type FeedKey } from './subjects.js';


/** Dates of the feed recorded missing and not applied since by any path, oldest first. */
export async function stillMissing(db: Database, feed: FeedKey, all?: readonly MissingFeed[]): Promise<MissingFeed[]> {
  const rows = (all ?? await missingFeeds(db.orm)).filter((m) => m.entity === feed.entity && m.kind === feed.kind && m.country === feed.country
    && (feed.source === undefined || m.source === feed.source));
  const open: MissingFeed[] = [];
  for (const row of rows) if (!(await feedDateApplied(db.orm, row))) open.push(row);
  return open;
}

/** Raises, updates (quietly: same alert, more or fewer dates) or resolves the feed's missing alert. */
export async function syncMissingAlert(ctx: { db: Database; alerter: Pick<Alerter, 'raise' | 'resolve'> }, feed: FeedKey, all?: readonly MissingFeed[]): Promise<void> {
  const { db, alerter } = ctx;
  const subject = alertSubject.missing(feed);
  const missing = await stillMissing(db, feed, all);
  if (missing.length === 0) {
    await alerter.resolve(subject, `feed ${feedLabel({ country: feed.country, entity: feed.entity, kind: feed.kind })}: no dates missing any more`);
    return;
  }
  const dates = missing.map((m) => m.feedDate);
  const last = missing[missing.length - 1]!;
  const reason = last.lastHttpStatus ? ` (last answer HTTP ${last.lastHttpStatus}${last.lastError ? `: ${last.lastError}` : ''})` : last.lastError ? ` (${last.lastError})` : '';
  const message = `feed ${feedLabel({ country: feed.country, entity: feed.entity, kind: feed.kind })} is missing ${dates.length === 1 ? `1 day: ${dates[0]}` : `${dates.length} days: ${dates.join(', ')}`}${reason}; recover with feedline fetch --entity ${feed.entity} --kind ${feed.kind} --country ${feed.country} --date DATE`;
  const details = { source: last.source, entity: feed.entity, kind: feed.kind, country: feed.country, dates };
  const changed = await alerter.raise({ subject, kind: 'missing', state: 'breach', message, details });
  // Already open: the dates changed or not; either way it is the same condition, not news.
  if (!changed) {
    await updateOpenAlert(db.orm, subject, message, details);
  }
}

/** Every feed with a missing date, or an open missing alert, brought in line (the sweep). */
export async function sweepMissing(ctx: { db: Database; alerter: Pick<Alerter, 'raise' | 'resolve'> }, openDetails: readonly Record<string, unknown>[]): Promise<void> {
  const all = await missingFeeds(ctx.db.orm);
  const feeds = new Map<string, FeedKey>();
  for (const m of all) feeds.set(alertSubject.missing(m), { entity: m.entity, kind: m.kind, country: m.country });
  for (const d of openDetails) {
    if (typeof d.entity === 'string' && typeof d.kind === 'string' && typeof d.country === 'string' && Array.isArray(d.dates)) {
      feeds.set(alertSubject.missing(d as unknown as FeedKey), { entity: d.entity, kind: d.kind, country: d.country });
    }
  }
  for (const feed of feeds.values()) await syncMissingAlert(ctx, feed, all);
}
