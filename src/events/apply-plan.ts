// What one standard Catalogue Event writes, decided in JS from the stored state its round read
// (src/events/apply.ts): the version guard, availability (src/apply/availability.ts, the one
// decision module) and the rows and schedules of its release and tracks. Nothing here touches
// the database, so a round plans all its events and writes them together.
//
// Each release snapshot is the release's whole truth: its territories (those no longer covered
// go down with their reason), its tracks (a track that left goes down), its scheduled windows.
// A takedown event takes the release and its tracks down everywhere.
import {
  availability, itemSchedule, newerStored, releaseTombstone, REMOVED_FROM_RELEASE, territoryRows, trackAvailability, WORLDWIDE, type TrackIdentity,
} from '../apply/availability.js';
import type { DdexDeal } from '../catalogue/ddex.js';
import type { DdexEntity, ItemSchedule, RunTerritoryRow, TerritoryRow, WriteTarget } from '../db/ddex.js';
import type { ApplyCounts, InboxEvent, StoredReleaseRow, StoredRow } from '../db/events.js';
import { releaseColumns, releaseDeals, trackColumns, trackDeals, tracksOf, type ReleaseItem, type StandardItem } from './model.js';

/** Audit reason of an explicit takedown event. */
const TAKEDOWN_EVENT = 'takedown_event';
/**
 * The provider's track id names a track on one release (its CSV track rows carry one
 * releaseId): that release's newest snapshot is the track's whole truth.
 */
const EVENT_TRACKS: TrackIdentity = { trackBelongsToOneRelease: true };

export const ZERO: ApplyCounts = { inserted: 0, updated: 0, takenDown: 0, unchanged: 0 };

/** The catalogue as the round read it, after locking its items. */
export interface StoredState {
  /** Release rows by release id. */
  releases: ReadonlyMap<string, readonly StoredReleaseRow[]>;
  /** Rows of the tracks stored under each release, by release id. */
  releaseTracks: ReadonlyMap<string, readonly StoredRow[]>;
  /** Track ids stored in any territory, among those the round's stale snapshots list. */
  storedTracks: ReadonlySet<string>;
}

/** One statement's worth of territory writes: the entity and how (src/db/ddex.ts WriteTarget). */
export const WRITES = [
  { entity: 'release', mode: 'replace' },
  { entity: 'release', mode: 'status' },
  { entity: 'track', mode: 'replace' },
  { entity: 'track', mode: 'status' },
] as const satisfies readonly Pick<WriteTarget, 'entity' | 'mode'>[];
export type WriteKey = `${DdexEntity}-${WriteTarget['mode']}`;

export type RunSchedule = ItemSchedule & { runId: number };

/** An event's writes; `base` is what it counts besides what they return (a stale event's unchanged rows). */
export interface Planned {
  event: InboxEvent;
  outcome: 'applied' | 'stale';
  base: ApplyCounts;
  rows: Record<WriteKey, RunTerritoryRow[]>;
  schedules: Record<DdexEntity, RunSchedule[]>;
}

/** A snapshot whose availability feedline cannot read: nothing of it is written. */
export interface Unreadable { event: InboxEvent; unreadable: string }

export type Plan = Planned | Unreadable;

function planned(event: InboxEvent, outcome: Planned['outcome'], base: ApplyCounts): Planned {
  return {
    event, outcome, base,
    rows: { 'release-replace': [], 'release-status': [], 'track-replace': [], 'track-status': [] },
    schedules: { release: [], track: [] },
  };
}

function write(plan: Planned, key: WriteKey, rows: readonly TerritoryRow[], version = plan.event.changeVersion): void {
  plan.rows[key].push(...rows.map((row) => ({ ...row, runId: plan.event.runId, version })));
}

function schedule(plan: Planned, entity: DdexEntity, items: readonly ItemSchedule[]): void {
  plan.schedules[entity].push(...items.map((item) => ({ ...item, runId: plan.event.runId })));
}

/** The items a plan writes (`release:1`, `track:11`): two plans of one round must not share any. */
export function touchedItems(plan: Planned): string[] {
  const items = WRITES.flatMap(({ entity, mode }) => plan.rows[`${entity}-${mode}`].map((row) => `${entity}:${row.id}`));
  for (const entity of ['release', 'track'] as const) items.push(...plan.schedules[entity].map((s) => `${entity}:${s.id}`));
  return [...new Set(items)];
}

/** The track ids a stale snapshot would record: what the round must know is stored. */
export function listedTracks(item: StandardItem): string[] {
  return item.kind === 'release' ? tracksOf(item.release).map((t) => String(t.id)) : [];
}

/** Whether the stored release is as new as the event or newer: nothing of the event's release then applies. */
export function staleAgainst(event: InboxEvent, state: StoredState): StoredReleaseRow | undefined {
  return newerStored(state.releases.get(event.itemId) ?? [], event.changeVersion);
}

export function planStandard(event: InboxEvent, item: StandardItem, state: StoredState, now: Date): Plan {
  const newer = staleAgainst(event, state);
  if (item.kind === 'takedown') return newer ? planned(event, 'stale', staleCounts(event, state)) : planTakedown(event, state, now);
  return newer ? planUnseenTracks(event, item.release, state, newer) : planSnapshot(event, item.release, state, now);
}

/** A stale event changes no stored row: every row of its release counts as unchanged. */
function staleCounts(event: InboxEvent, state: StoredState): ApplyCounts {
  const rows = (state.releases.get(event.itemId)?.length ?? 0) + (state.releaseTracks.get(event.itemId)?.length ?? 0);
  return { ...ZERO, unchanged: Math.max(rows, 1) };
}

/**
 * A stale snapshot writes no availability, but the tracks it lists that are stored nowhere
 * are recorded down at the newer state's version: under the takedown that arrived first, or
 * as left the release when a newer snapshot leaves them out. So every order of the same
 * events ends with the same tracks stored, and their Enhanced Metadata has a track to join.
 */
function planUnseenTracks(event: InboxEvent, snapshot: ReleaseItem, state: StoredState, newer: StoredReleaseRow): Planned {
  const plan = planned(event, 'stale', staleCounts(event, state));
  const reason = newer.status === 'taken_down' && newer.reason === TAKEDOWN_EVENT ? TAKEDOWN_EVENT : REMOVED_FROM_RELEASE;
  const unseen: TerritoryRow[] = [];
  for (const [index, track] of tracksOf(snapshot).entries()) {
    if (state.storedTracks.has(String(track.id))) continue;
    unseen.push({ id: String(track.id), country: WORLDWIDE, status: 'taken_down', reason, ...trackColumns(snapshot, index) });
  }
  write(plan, 'track-replace', unseen, newer.version);
  return plan;
}

/**
 * Tracks their release no longer carries (it stopped listing them, or was taken down): no
 * other release carries an event track, so each goes down in every territory it has, its
 * schedule cleared. `downReason` replaces 'removed_from_release' (a takedown names itself).
 */
function uncarriedTracks(plan: Planned, stored: readonly StoredRow[], now: Date, downReason?: string): void {
  for (const id of new Set(stored.map((s) => s.id))) {
    const result = trackAvailability({ otherReleases: [] }, EVENT_TRACKS, now, stored.filter((s) => s.id === id).map((s) => s.country));
    write(plan, 'track-status', territoryRows(id, result, {}, downReason));
    schedule(plan, 'track', [itemSchedule(id, plan.event.changeVersion, result.scheduled)]);
  }
}

function planSnapshot(event: InboxEvent, snapshot: ReleaseItem, state: StoredState, now: Date): Plan {
  const releaseId = event.itemId;
  const deals = releaseDeals(snapshot);
  if (!deals.ok) return { event, unreadable: deals.reason };
  const tracks = tracksOf(snapshot);
  const perTrack: DdexDeal[][] = [];
  for (const index of tracks.keys()) {
    const own = trackDeals(snapshot, index);
    if (!own.ok) return { event, unreadable: own.reason };
    perTrack.push(own.deals);
  }
  const plan = planned(event, 'applied', ZERO);
  const release = availability(deals.deals, now, (state.releases.get(releaseId) ?? []).map((s) => s.country));
  write(plan, 'release-replace', territoryRows(releaseId, release, releaseColumns(snapshot)));
  schedule(plan, 'release', [itemSchedule(releaseId, event.changeVersion, release.scheduled)]);

  const storedTracks = state.releaseTracks.get(releaseId) ?? [];
  const listed = new Set(tracks.map((t) => String(t.id)));
  tracks.forEach((track, index) => {
    const trackId = String(track.id);
    const known = storedTracks.filter((s) => s.id === trackId).map((s) => s.country);
    const result = trackAvailability({ listed: perTrack[index]!, otherReleases: [] }, EVENT_TRACKS, now, known);
    write(plan, 'track-replace', territoryRows(trackId, result, trackColumns(snapshot, index)));
    schedule(plan, 'track', [itemSchedule(trackId, event.changeVersion, result.scheduled)]);
  });
  uncarriedTracks(plan, storedTracks.filter((s) => !listed.has(s.id)), now);
  return plan;
}

function planTakedown(event: InboxEvent, state: StoredState, now: Date): Planned {
  const releaseId = event.itemId;
  const plan = planned(event, 'applied', ZERO);
  const stored = state.releases.get(releaseId) ?? [];
  const tombstone = releaseTombstone(releaseId, stored.map((s) => s.country), TAKEDOWN_EVENT, { takedown: true, version: event.version });
  write(plan, `release-${tombstone.mode}`, tombstone.rows);
  schedule(plan, 'release', [itemSchedule(releaseId, event.changeVersion, [])]);
  uncarriedTracks(plan, state.releaseTracks.get(releaseId) ?? [], now, TAKEDOWN_EVENT);
  return plan;
}
