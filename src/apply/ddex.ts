// Applies one DDEX message to the catalogue (docs/feeds.md "DDEX ERN messages", issue 5), release by
// release as the parser yields them. Each release is the whole current truth about itself:
// every territory row it has (WW default plus countries) is rewritten from its deals, under
// the version guard (message time, then the release's line), so an older message never undoes
// a newer one. What the deals mean (now, later, for tracks several releases carry) is decided
// by src/apply/availability.ts, as for Catalogue Events.
//
// The caller supplies the clock (database time, or a test's). A fatal problem throws
// DdexRejectedError, carrying the problem, before anything of the message is applied.
import type { Orm } from '../db/client.js';
import {
  clearLinks, linksOfTracks, registerReleaseKeys, replaceLinks, replaceSchedules, resolveRelease, storedTerritories,
  writeTerritories, type ItemSchedule, type ReleaseKey, type TerritoryRow, type WriteCounts, type WriteTarget,
} from '../db/ddex.js';
import { addQuarantine } from '../db/runs.js';
import { DdexRejectedError } from '../errors.js';
import type { DdexParsedItem, DdexMessageHeader, DdexPurgedRelease, DdexRelease, DdexReleaseIds, DdexTrack } from '../catalogue/ddex.js';
import type { SnapshotColumns } from '../catalogue/columns.js';
import { displayTitle } from '../catalogue/display-title.js';
import {
  availability, itemSchedule, newerStored, releaseTombstone, territoryRows, trackAvailability, trackDeals, type TrackIdentity,
} from './availability.js';
import { admitRefused, applyChunk, type RefusalScope } from './ddex-refused.js';
import { storableText } from '../catalogue/storable.js';

type Executor = Pick<Orm, 'execute'>;

export interface DdexRunTarget {
  runId: number;
  /** The run's file name, for quarantine records. */
  file: string;
  header: DdexMessageHeader;
  /** Decimal text: versionBase(header.createdAt, 'ddex'). */
  versionBase: string;
}

export interface DdexTotals extends WriteCounts {
  /** Catalogue rows (item x territory) the message states. */
  rows: number;
  releases: number;
  purges: number;
  /** Releases and purges refused by the version guard (a newer message got there first). */
  stale: number;
  quarantined: number;
  scheduled: number;
}

/** Why a purge took an item down (issue 5 names the shape in the audit). */
export const PURGED = 'purged';
/**
 * A DDEX track is its ISRC: one recording that a single, its album and a compilation may all
 * carry, so it stays live while any release of the sender licenses it (ddex_release_tracks).
 */
const DDEX_TRACKS: TrackIdentity = { trackBelongsToOneRelease: false };

/**
 * Releases (and purges) per transaction. Each release is its own whole truth, so committing
 * in chunks loses no atomicity that matters: the parser yields nothing from a file with a
 * fatal problem, and a message cut short by a crash is finished by applying it again (the
 * version guard skips what was done). Short transactions keep the planner's statistics and
 * other readers current on a catalogue-sized message; 50 makes commits negligible.
 */
const RELEASES_PER_TRANSACTION = 50;

/** Applies a message's parsed items after its header; throws DdexRejectedError on a fatal problem. */
export async function applyDdexMessage(db: Orm, target: DdexRunTarget, items: AsyncIterable<DdexParsedItem>, now: Date, onProgress?: (totals: DdexTotals) => Promise<void>): Promise<DdexTotals> {
  const totals: DdexTotals = { rows: 0, inserted: 0, updated: 0, takenDown: 0, unchanged: 0, releases: 0, purges: 0, stale: 0, quarantined: 0, scheduled: 0 };
  let pending: DdexParsedItem[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const chunk = pending;
    pending = [];
    await applyChunk(db, refusalScope(target, now), chunk, totals, (tx, item) => applyParsedItem(tx, target, item, now, totals));
    await onProgress?.(totals);
  };
  for await (const item of items) {
    if (item.type === 'problem' && item.problem.fatal) throw new DdexRejectedError(item.problem);
    pending.push(item);
    if (pending.length >= RELEASES_PER_TRANSACTION) await flush();
  }
  await flush();
  return totals;
}

async function applyParsedItem(db: Executor, target: DdexRunTarget, item: DdexParsedItem, now: Date, totals: DdexTotals): Promise<void> {
  if (item.type === 'release') {
    if (await admitRefused(db, refusalScope(target, now), item.release)) await applyRelease(db, target, item.release, now, totals);
    else totals.quarantined++;
  } else if (item.type === 'purge') await applyPurge(db, target, item.purge, now, totals);
  else if (item.type === 'problem') {
    const { problem } = item;
    await addQuarantine(db, target.runId, [{ line: problem.line, column: problem.column, raw: storableText(problem.detail), reason: problem.reason, ...(problem.warning ? { severity: 'warning' as const } : {}) }]);
    totals.quarantined++;
  }
}

/** What src/apply/ddex-refused.ts needs to tell a takedown: the release's stored rows, looked up without registering its keys. */
function refusalScope(target: DdexRunTarget, now: Date): RefusalScope {
  const source = target.header.senderPartyId;
  return {
    runId: target.runId, now,
    async stored(db, release) {
      const id = await resolveRelease(db, source, releaseKeys(release.ids));
      return id === undefined ? [] : storedTerritories(db, 'release', source, [id]);
    },
  };
}

/** Every key of a release, for lookup and for the alias table. */
export function releaseKeys(ids: DdexReleaseIds): ReleaseKey[] {
  return [
    ...(ids.grid ? [{ kind: 'grid' as const, key: ids.grid }] : []),
    ...(ids.icpn ? [{ kind: 'icpn' as const, key: ids.icpn }] : []),
    ...ids.proprietaryIds.map((p) => ({ kind: 'proprietary' as const, key: `${p.namespace}:${p.value}` })),
  ];
}

/** The id a release is first stored under: GRid, else ICPN, else its first `namespace:value`. */
export function primaryReleaseId(ids: DdexReleaseIds): string {
  const key = releaseKeys(ids)[0];
  if (!key) throw new Error('a release without identifiers reached apply; the parser quarantines those');
  return key.key;
}

async function identify(db: Executor, source: string, ids: DdexReleaseIds): Promise<string> {
  const keys = releaseKeys(ids);
  const id = (await resolveRelease(db, source, keys)) ?? primaryReleaseId(ids);
  await registerReleaseKeys(db, source, id, keys);
  return id;
}

function versionOf(target: DdexRunTarget, line: number): string {
  return (BigInt(target.versionBase) + BigInt(line)).toString();
}

function add(totals: DdexTotals, counts: WriteCounts): void {
  totals.inserted += counts.inserted;
  totals.updated += counts.updated;
  totals.takenDown += counts.takenDown;
  totals.unchanged += counts.unchanged;
  totals.rows += counts.inserted + counts.updated + counts.takenDown + counts.unchanged;
}

async function applyRelease(db: Executor, target: DdexRunTarget, release: DdexRelease, now: Date, totals: DdexTotals): Promise<void> {
  const source = target.header.senderPartyId;
  const id = await identify(db, source, release.ids);
  const version = versionOf(target, release.position.line);
  const stored = await storedTerritories(db, 'release', source, [id]);
  const result = availability(release.deals, now, stored.map((s) => s.country));
  totals.releases++;
  if (newerStored(stored, version)) {
    totals.stale++;
    add(totals, { inserted: 0, updated: 0, takenDown: 0, unchanged: result.territories.size + release.tracks.length });
    return;
  }
  const write: WriteTarget = { runId: target.runId, entity: 'release', source, version, line: release.position.line, guard: 'newer', mode: 'replace' };
  add(totals, await writeTerritories(db, write, territoryRows(id, result, releaseColumns(target, release))));
  totals.scheduled += await replaceSchedules(db, 'release', source, target.runId, [itemSchedule(id, version, result.scheduled)]);

  const links = release.tracks.map((track) => ({ isrc: track.isrc, deals: trackDeals(release, track) }));
  const dropped = await replaceLinks(db, source, id, version, links);
  const metadataByIsrc = new Map(release.tracks.map((track, index) => [track.isrc, trackColumns(target, id, track, index)]));
  await applyTracks(db, target, { source, releaseId: id, version, line: release.position.line, now }, [...metadataByIsrc.keys(), ...dropped], metadataByIsrc, undefined, totals);
}

async function applyPurge(db: Executor, target: DdexRunTarget, purge: DdexPurgedRelease, now: Date, totals: DdexTotals): Promise<void> {
  const source = target.header.senderPartyId;
  const id = await identify(db, source, purge.ids);
  const version = versionOf(target, purge.position.line);
  const stored = await storedTerritories(db, 'release', source, [id]);
  totals.purges++;
  if (newerStored(stored, version)) {
    totals.stale++;
    add(totals, { inserted: 0, updated: 0, takenDown: 0, unchanged: stored.length });
    return;
  }
  const tombstone = releaseTombstone(id, stored.map((s) => s.country), PURGED, { purged: purge.ids, messageId: target.header.messageId });
  const write: WriteTarget = { runId: target.runId, entity: 'release', source, version, line: purge.position.line, guard: 'newer', mode: tombstone.mode };
  add(totals, await writeTerritories(db, write, tombstone.rows));
  await replaceSchedules(db, 'release', source, target.runId, [itemSchedule(id, version, [])]);
  const isrcs = await clearLinks(db, source, id, version);
  await applyTracks(db, target, { source, releaseId: id, version, line: purge.position.line, now }, isrcs, new Map(), PURGED, totals);
}

interface TrackScope {
  source: string;
  /** The release being applied: its reason is shown where no release licenses the track. */
  releaseId: string;
  version: string;
  line: number;
  now: Date;
}

/**
 * Recomputes each track from every link it has, at the newest link's version. `metadataByIsrc`
 * holds the tracks the release lists; the others it no longer carries. Metadata is written only
 * by the message that holds the newest link; otherwise only the status moves. `downReason`
 * replaces the reason where the track is not live (a purge says `purged`).
 */
async function applyTracks(db: Executor, target: DdexRunTarget, scope: TrackScope, isrcs: readonly string[], metadataByIsrc: ReadonlyMap<string, SnapshotColumns<'track'>>, downReason: string | undefined, totals: DdexTotals): Promise<void> {
  const unique = [...new Set(isrcs)];
  if (unique.length === 0) return;
  const links = await linksOfTracks(db, scope.source, unique);
  const stored = await storedTerritories(db, 'track', scope.source, unique);
  const groups = new Map<string, { target: WriteTarget; rows: TerritoryRow[] }>();
  const schedules: ItemSchedule[] = [];
  for (const isrc of unique) {
    const own = links.filter((l) => l.isrc === isrc);
    const version = own.reduce((max, l) => (BigInt(l.version) > BigInt(max) ? l.version : max), scope.version);
    const known = stored.filter((s) => s.id === isrc).map((s) => s.country);
    const listed = metadataByIsrc.has(isrc) ? (own.find((l) => l.releaseId === scope.releaseId)?.deals ?? []) : undefined;
    const otherReleases = own.filter((l) => l.releaseId !== scope.releaseId).map((l) => l.deals);
    const result = trackAvailability({ ...(listed ? { listed } : {}), otherReleases }, DDEX_TRACKS, scope.now, known);
    const metadata = version === scope.version ? metadataByIsrc.get(isrc) : undefined;
    const key = `${version}/${metadata ? 'replace' : 'status'}`;
    let group = groups.get(key);
    if (!group) {
      group = { target: { runId: target.runId, entity: 'track', source: scope.source, version, line: scope.line, guard: 'same-or-newer', mode: metadata ? 'replace' : 'status' }, rows: [] };
      groups.set(key, group);
    }
    // The ISRC goes on every row, metadata or not: lookups find a track's rows by it (src/db/ddex.ts).
    group.rows.push(...territoryRows(isrc, result, { isrc, ...(metadata ?? {}) }, downReason));
    schedules.push(itemSchedule(isrc, version, result.scheduled));
  }
  for (const group of groups.values()) add(totals, await writeTerritories(db, group.target, group.rows));
  totals.scheduled += await replaceSchedules(db, 'track', scope.source, target.runId, schedules);
}

function releaseColumns(target: DdexRunTarget, release: DdexRelease): SnapshotColumns<'release'> {
  const date = release.releaseDate && /^\d{4}-\d{2}-\d{2}$/.test(release.releaseDate) ? `${release.releaseDate}T00:00:00Z` : null;
  const year = release.releaseDate && /^\d{4}/.test(release.releaseDate) ? Number(release.releaseDate.slice(0, 4)) : null;
  const durations = release.tracks.map((t) => t.durationSeconds);
  return {
    title: release.title ?? null,
    version_title: release.version ?? null,
    artist_appears_as: release.displayArtist ?? null,
    barcode: release.ids.icpn ?? null,
    type: null,
    year,
    explicit: release.explicit,
    track_count: release.tracks.length,
    duration_seconds: durations.every((d) => d !== undefined) && durations.length > 0 ? durations.reduce((a, b) => a! + b!, 0) : null,
    release_date: date,
    label_name: release.label ?? null,
    display_title: release.title ? displayTitle(release.title, release.version, release.explicit) : null,
    raw: {
      messageId: target.header.messageId,
      ids: release.ids,
      title: release.title,
      version: release.version,
      displayArtist: release.displayArtist,
      label: release.label,
      releaseDate: release.releaseDate,
      explicit: release.explicit,
      tracks: release.tracks.map((t) => t.isrc),
      // Every deal is recorded, streaming or not (README: only streaming UseTypes make an item available).
      deals: release.deals,
    },
  };
}

function trackColumns(target: DdexRunTarget, releaseId: string, track: DdexTrack, index: number): SnapshotColumns<'track'> {
  return {
    title: track.title ?? null,
    version_title: track.version ?? null,
    isrc: track.isrc,
    explicit: track.explicit,
    track_number: index + 1,
    artist_appears_as: track.displayArtist ?? null,
    release_id: releaseId,
    duration_seconds: track.durationSeconds === undefined ? null : Math.round(track.durationSeconds),
    display_title: track.title ? displayTitle(track.title, track.version, track.explicit) : null,
    raw: {
      messageId: target.header.messageId,
      isrc: track.isrc,
      title: track.title,
      version: track.version,
      displayArtist: track.displayArtist,
      durationSeconds: track.durationSeconds,
      explicit: track.explicit,
      releaseId,
      trackReleaseDeals: track.trackReleaseDeals,
    },
  };
}
