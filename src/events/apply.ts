// Applies stored Catalogue Events to the catalogue under the provider's source, through the
// same version-guarded territory writes, availability rules and scheduling as DDEX
// (src/db/ddex.ts, src/apply/availability.ts). Each release snapshot is the release's
// whole truth: its territories (those no longer covered go down with their reason), its
// tracks (a track that left goes down), its scheduled windows. A takedown event takes the
// release and its tracks down everywhere. Enhanced Metadata attaches to a stored track.
//
// One event per transaction, serialised per release by an advisory lock, so two workers
// applying two versions of one release never interleave; the version guard makes any order
// and any repetition end in the newest snapshot.
import { systemClock, type Clock } from '../clock.js';
import {
  availability, itemSchedule, newerStored, releaseTombstone, REMOVED_FROM_RELEASE, territoryRows, trackAvailability, WORLDWIDE, type TrackIdentity,
} from '../apply/availability.js';
import type { DdexDeal } from '../catalogue/ddex.js';
import type { Database, Orm } from '../db/client.js';
import { replaceSchedules, writeTerritories, type ItemSchedule, type TerritoryRow, type WriteCounts, type WriteTarget } from '../db/ddex.js';
import {
  closeEvent, lockEventItem, lockOpenEvent, markEvent, releaseRows, releaseTrackRows, trackStored, upsertEnhancement,
  type ApplyCounts, type InboxEvent, type StoredReleaseRow, type StoredRow,
} from '../db/events.js';
import { finishRuns, logRunFinish, rejectRuns } from '../db/runs.js';
import { statedAsCounted } from '../catalogue/run-counts.js';
import type { Logger } from '../log.js';
import type { Alerter } from '../sla/alerts.js';
import { alertSubject } from '../sla/subjects.js';
import {
  enhancedTags, readStandardItem, releaseColumns, releaseDeals, trackColumns, trackDeals, tracksOf, type ReleaseItem,
} from './model.js';
import { keysOrRefusal, recordTakedownWarnings, refusalOf } from './refused.js';

type Executor = Pick<Orm, 'execute'>;

/** Audit reason of an explicit takedown event. */
export const TAKEDOWN_EVENT = 'takedown_event';
/**
 * The provider's track id names a track on one release (its CSV track rows carry one
 * releaseId): that release's newest snapshot is the track's whole truth.
 */
const EVENT_TRACKS: TrackIdentity = { trackBelongsToOneRelease: true };

export interface EventApplyOptions {
  source: string;
  /** How long an enhancement waits for its track before it is rejected (and alerts). */
  enhancedWaitSeconds: number;
  now?: Clock;
  /** Raises the alert of an event whose availability cannot be read or whose values the database refuses; without it, the SLA sweep alerts its rejected run later. */
  alerter?: Alerter;
  /** Where each event's finished run is logged (logRunFinish). */
  log?: Logger;
}

export type EventOutcome = 'applied' | 'stale' | 'waiting' | 'rejected' | 'skipped';

type Applied = { outcome: EventOutcome; unreadable?: { runId: number; reason: string } };

/** Applies one inbox event if it is still open; `skipped` when another worker has it or it is done. */
export async function applyInboxEvent(db: Database, id: number, options: EventApplyOptions): Promise<EventOutcome> {
  let done: Applied;
  try {
    done = await db.orm.transaction((tx) => applyOpenEvent(tx, id, options));
  } catch (err) {
    const refused = refusalOf(err);
    if (refused === undefined) throw err;
    // Once more, a refused snapshot by its keys alone or rejected with the reason (src/events/refused.ts).
    done = await db.orm.transaction((tx) => applyOpenEvent(tx, id, options, refused));
  }
  if (done.unreadable && options.alerter) {
    await options.alerter.raise({
      subject: alertSubject.rejected(done.unreadable.runId), kind: 'rejected', state: 'breach',
      message: `event ${id} not applied (${done.unreadable.reason}); the release keeps its previous state`,
      details: { inboxId: id, runId: done.unreadable.runId, reason: done.unreadable.reason },
    });
  }
  return done.outcome;
}

/** One open event in one transaction; `refused`: the database's reason for refusing its snapshot the first time. */
async function applyOpenEvent(tx: Executor, id: number, options: EventApplyOptions, refused?: string): Promise<Applied> {
  const event = await lockOpenEvent(tx, id);
  if (!event) return { outcome: 'skipped' };
  await lockEventItem(tx, `events:${event.endpoint}:${options.source}:${event.itemId}`);
  const now = (options.now ?? systemClock)();
  const body: unknown = JSON.parse(event.body);
  if (event.endpoint === 'enhanced') return { outcome: await applyEnhanced(tx, event, body, options, now) };
  const item = readStandardItem(body);
  if (item.kind === 'takedown') await recordTakedownWarnings(tx, event, body);
  const snapshot = (db: Executor, release: ReleaseItem) => applySnapshot(db, event, release, options.source, now);
  const result = item.kind === 'takedown' ? await applyTakedown(tx, event, options.source, now)
    : refused === undefined ? await snapshot(tx, item.release) : await keysOrRefusal(tx, options.source, event, item.release, now, refused, snapshot);
  if ('unreadable' in result) {
    // The run's entity becomes `event` (as a refused request's is), so a later event of the
    // same day does not count as its fix and the alert stays open.
    await markEvent(tx, event, 'rejected', result.unreadable);
    await rejectRuns(tx, [{ runId: event.runId, reason: result.unreadable, entity: 'event' }]);
    return { outcome: 'rejected', unreadable: { runId: event.runId, reason: result.unreadable } };
  }
  const outcome = 'stale' in result ? 'stale' : 'applied';
  await finishEvent(tx, event, outcome, 'stale' in result ? result.stale : result, options);
  return { outcome };
}

const ZERO: ApplyCounts = { inserted: 0, updated: 0, takenDown: 0, unchanged: 0 };

function add(into: ApplyCounts, counts: WriteCounts): void {
  into.inserted += counts.inserted;
  into.updated += counts.updated;
  into.takenDown += counts.takenDown;
  into.unchanged += counts.unchanged;
}

/** What an event older than the stored release wrote: its counts, for the run's records. */
interface Stale { stale: ApplyCounts }
/** A snapshot whose availability feedline cannot read, or the database refuses: nothing of it is written. */
interface Unreadable { unreadable: string }

/** A stale event changes no stored row: every row of its release counts as unchanged. */
async function staleCounts(db: Executor, event: InboxEvent, source: string): Promise<ApplyCounts> {
  const rows = (await releaseRows(db, source, event.itemId)).length + (await releaseTrackRows(db, source, event.itemId)).length;
  return { ...ZERO, unchanged: Math.max(rows, 1) };
}

/**
 * A stale snapshot writes no availability, but the tracks it lists that are stored nowhere
 * are recorded down at the newer state's version: under the takedown that arrived first, or
 * as left the release when a newer snapshot leaves them out. So every order of the same
 * events ends with the same tracks stored, and their Enhanced Metadata has a track to join.
 */
async function recordUnseenTracks(db: Executor, event: InboxEvent, snapshot: ReleaseItem, source: string, newer: StoredReleaseRow): Promise<Stale> {
  const counts = await staleCounts(db, event, source);
  const reason = newer.status === 'taken_down' && newer.reason === TAKEDOWN_EVENT ? TAKEDOWN_EVENT : REMOVED_FROM_RELEASE;
  const unseen: TerritoryRow[] = [];
  for (const [index, track] of tracksOf(snapshot).entries()) {
    if (await trackStored(db, source, String(track.id))) continue;
    unseen.push({ id: String(track.id), country: WORLDWIDE, status: 'taken_down', reason, ...trackColumns(snapshot, index) });
  }
  add(counts, await writeTerritories(db, { ...target(event, 'track', source, 'replace'), version: newer.version }, unseen));
  return { stale: counts };
}

function target(event: InboxEvent, entity: 'release' | 'track', source: string, mode: WriteTarget['mode']): WriteTarget {
  return { runId: event.runId, entity, source, version: event.changeVersion, line: 1, guard: 'newer', mode };
}

/**
 * Tracks their release no longer carries (it stopped listing them, or was taken down): no
 * other release carries an event track, so each goes down in every territory it has, its
 * schedule cleared. `downReason` replaces 'removed_from_release' (a takedown names itself).
 */
function uncarriedTracks(event: InboxEvent, stored: readonly StoredRow[], now: Date, downReason?: string): { rows: TerritoryRow[]; schedules: ItemSchedule[] } {
  const rows: TerritoryRow[] = [];
  const schedules: ItemSchedule[] = [];
  for (const id of new Set(stored.map((s) => s.id))) {
    const result = trackAvailability({ otherReleases: [] }, EVENT_TRACKS, now, stored.filter((s) => s.id === id).map((s) => s.country));
    rows.push(...territoryRows(id, result, {}, downReason));
    schedules.push(itemSchedule(id, event.changeVersion, result.scheduled));
  }
  return { rows, schedules };
}

async function applySnapshot(db: Executor, event: InboxEvent, snapshot: ReleaseItem, source: string, now: Date): Promise<ApplyCounts | Stale | Unreadable> {
  const releaseId = event.itemId;
  const stored = await releaseRows(db, source, releaseId);
  const newer = newerStored(stored, event.changeVersion);
  if (newer) return recordUnseenTracks(db, event, snapshot, source, newer);
  const deals = releaseDeals(snapshot);
  if (!deals.ok) return { unreadable: deals.reason };
  const tracks = tracksOf(snapshot);
  const perTrack: DdexDeal[][] = [];
  for (const index of tracks.keys()) {
    const own = trackDeals(snapshot, index);
    if (!own.ok) return { unreadable: own.reason };
    perTrack.push(own.deals);
  }
  const counts = { ...ZERO };

  const release = availability(deals.deals, now, stored.map((s) => s.country));
  add(counts, await writeTerritories(db, target(event, 'release', source, 'replace'), territoryRows(releaseId, release, releaseColumns(snapshot))));
  await replaceSchedules(db, 'release', source, event.runId, [itemSchedule(releaseId, event.changeVersion, release.scheduled)]);

  const storedTracks = await releaseTrackRows(db, source, releaseId);
  const listed = new Set(tracks.map((t) => String(t.id)));
  const trackRows: TerritoryRow[] = [];
  const schedules: ItemSchedule[] = [];
  tracks.forEach((track, index) => {
    const trackId = String(track.id);
    const known = storedTracks.filter((s) => s.id === trackId).map((s) => s.country);
    const result = trackAvailability({ listed: perTrack[index]!, otherReleases: [] }, EVENT_TRACKS, now, known);
    trackRows.push(...territoryRows(trackId, result, trackColumns(snapshot, index)));
    schedules.push(itemSchedule(trackId, event.changeVersion, result.scheduled));
  });
  add(counts, await writeTerritories(db, target(event, 'track', source, 'replace'), trackRows));

  const left = uncarriedTracks(event, storedTracks.filter((s) => !listed.has(s.id)), now);
  add(counts, await writeTerritories(db, target(event, 'track', source, 'status'), left.rows));
  await replaceSchedules(db, 'track', source, event.runId, [...schedules, ...left.schedules]);
  return counts;
}

async function applyTakedown(db: Executor, event: InboxEvent, source: string, now: Date): Promise<ApplyCounts | Stale> {
  const releaseId = event.itemId;
  const stored = await releaseRows(db, source, releaseId);
  if (newerStored(stored, event.changeVersion)) return { stale: await staleCounts(db, event, source) };
  const counts = { ...ZERO };
  const tombstone = releaseTombstone(releaseId, stored.map((s) => s.country), TAKEDOWN_EVENT, { takedown: true, version: event.version });
  add(counts, await writeTerritories(db, target(event, 'release', source, tombstone.mode), tombstone.rows));
  await replaceSchedules(db, 'release', source, event.runId, [itemSchedule(releaseId, event.changeVersion, [])]);
  const tracks = uncarriedTracks(event, await releaseTrackRows(db, source, releaseId), now, TAKEDOWN_EVENT);
  add(counts, await writeTerritories(db, target(event, 'track', source, 'status'), tracks.rows));
  await replaceSchedules(db, 'track', source, event.runId, tracks.schedules);
  return counts;
}

/** Enhanced Metadata never makes structure or availability: it waits for its track, then attaches. */
async function applyEnhanced(db: Executor, event: InboxEvent, body: unknown, options: EventApplyOptions, now: Date): Promise<EventOutcome> {
  const tags = enhancedTags(body);
  if (!(await trackStored(db, options.source, event.itemId))) {
    const giveUp = now.getTime() - event.receivedAt.getTime() > options.enhancedWaitSeconds * 1000;
    const reason = `track ${event.itemId} is not stored yet${giveUp ? ` after ${options.enhancedWaitSeconds} s` : ''}`;
    await markEvent(db, event, giveUp ? 'rejected' : 'waiting', reason);
    if (giveUp) await rejectRuns(db, [{ runId: event.runId, reason }]);
    return giveUp ? 'rejected' : 'waiting';
  }
  const written = await upsertEnhancement(db, options.source, event.itemId, event.version, tags, event.id);
  const outcome = written ? 'applied' : 'stale';
  await finishEvent(db, event, outcome, written ? { ...ZERO, updated: 1 } : { ...ZERO, unchanged: 1 }, options);
  return outcome;
}

/**
 * Closes the event and finishes its run in the apply transaction. The run states every
 * catalogue row the event stated, each counted once by what became of it (applied, or
 * unchanged when stale), so its counts add up (finishRuns refuses them otherwise).
 */
async function finishEvent(db: Executor, event: InboxEvent, status: 'applied' | 'stale', counts: ApplyCounts, options: EventApplyOptions): Promise<void> {
  await closeEvent(db, event, status, counts);
  const [finished] = await finishRuns(db, [{ runId: event.runId, counts: statedAsCounted({ ...counts, quarantined: 0 }) }]);
  if (options.log && finished) logRunFinish(options.log, finished);
}
