// What a release's licence windows mean for the catalogue, for every source that sends a
// release whole: DDEX messages (src/apply/ddex.ts) and Catalogue Events snapshots
// (src/events/apply.ts) (docs/feeds.md "DDEX ERN messages", "Catalogue Events"). Both state a
// release's windows as deals (start, end, territories, use types); this module decides, per
// territory, what is available now and what changes later, the version guard that makes an
// older delivery stale, the tombstone of a release taken down, and the one multi-release rule
// for tracks (trackAvailability). Pure: the callers supply the clock, the stored rows, and
// write what it decides through src/db/ddex.ts.
//
// Territories. Catalogue rows are keyed by (source, country, id). The WORLDWIDE row holds the
// default for every country without a row of its own (`feedline get --country GB` falls back
// to it); a country row holds that country's own state. So "Worldwide except US" is a live WW
// row and a US row taken down with 'territory_not_licensed', and "GB and IE only" is a WW row
// taken down with 'territory_not_licensed' and live GB and IE rows.
//
// A delivery is the whole current truth about a release, so every row the item already has
// must be rewritten from it, or a country row from an older delivery would outlive its deal:
// pass those countries as `knownTerritories`, and write every territory of the result.
import type { DdexDeal, DdexRelease, DdexTrack } from '../catalogue/ddex.js';
import type { ItemSchedule, TerritoryRow, WriteTarget } from '../db/ddex.js';

/** The country code of the row that holds the default for all countries without their own row. */
export const WORLDWIDE = 'WW';

/**
 * UseTypes that license playback by streaming, the only use this service makes. Others
 * (PermanentDownload, ConditionalDownload, UserMakeAvailable*, ...) are kept on the deal
 * but make nothing available: a download-only deal does not license a stream.
 */
export const STREAMING_USE_TYPES: ReadonlySet<string> = new Set(['Stream', 'OnDemandStream', 'NonInteractiveStream']);

export type TakedownReason =
  /** The message has no deal at all for the item. */
  | 'no_deal'
  /** ERN 3 DealTerms/TakeDown (or AllDealsCancelled) covers the territory. */
  | 'takedown_flag'
  /** The streaming deals for the territory have ended. */
  | 'deal_expired'
  /** The streaming deals for the territory have not started yet. */
  | 'deal_not_started'
  /** Deals cover the territory, but none for a streaming use. */
  | 'no_streaming_use'
  /** The streaming deals for the territory are limited to other services' DistributionChannel. */
  | 'other_distribution_channel'
  /** No deal covers the territory. */
  | 'territory_not_licensed'
  /** No release carries the track any more: its release stopped listing it (trackAvailability). */
  | 'removed_from_release';

export type TerritoryState = { status: 'live' } | { status: 'taken_down'; reason: TakedownReason };

/** A change the deal windows make later, if no newer delivery comes first. */
export type ScheduledChange = TerritoryState & { territory: string; dueAt: Date };

export interface Availability {
  /** WORLDWIDE first, then countries in code order; every one should be written. */
  territories: Map<string, TerritoryState>;
  /** In time order. */
  scheduled: ScheduledChange[];
}

const LIVE: TerritoryState = { status: 'live' };

/**
 * The item's state in each territory at `now`, and the state changes its deals schedule.
 * `knownTerritories`: countries the catalogue holds rows for (from earlier deliveries).
 */
export function availability(deals: readonly DdexDeal[], now: Date, knownTerritories: Iterable<string> = []): Availability {
  const territories = new Map<string, TerritoryState>();
  const scheduled: ScheduledChange[] = [];
  for (const territory of territoriesToWrite(deals, knownTerritories)) {
    const covering = deals.filter((deal) => covers(deal, territory));
    let state = stateAt(now, covering, deals.length > 0);
    territories.set(territory, state);
    for (const dueAt of windowEdgesAfter(now, covering)) {
      const next = stateAt(dueAt, covering, true);
      if (next.status !== state.status) scheduled.push({ territory, dueAt, ...next });
      state = next;
    }
  }
  scheduled.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.territory.localeCompare(b.territory));
  return { territories, scheduled };
}

/** A track is licensed by its release's deals and by those of its own track-level release. */
export function trackDeals(release: DdexRelease, track: DdexTrack): DdexDeal[] {
  return [...release.deals, ...track.trackReleaseDeals];
}

function territoriesToWrite(deals: readonly DdexDeal[], knownTerritories: Iterable<string>): string[] {
  const countries = new Set<string>();
  for (const deal of deals) for (const code of deal.territories.codes) if (code !== 'Worldwide') countries.add(code);
  for (const code of knownTerritories) countries.add(code.toUpperCase());
  countries.delete(WORLDWIDE);
  return [WORLDWIDE, ...[...countries].sort()];
}

/** Whether the deal applies in the territory; for WORLDWIDE, in countries the deal does not name. */
function covers(deal: DdexDeal, territory: string): boolean {
  const codes = deal.territories.codes;
  const named = territory !== WORLDWIDE && codes.includes(territory);
  if (deal.territories.kind === 'included') return codes.includes('Worldwide') || named;
  return !codes.includes('Worldwide') && !named;
}

/** Precedence: a takedown flag beats any licence; then a deal in force; then why none is. */
function stateAt(at: Date, covering: readonly DdexDeal[], anyDeal: boolean): TerritoryState {
  if (!anyDeal) return takenDown('no_deal');
  if (covering.some((deal) => deal.takeDown && inForce(deal, at))) return takenDown('takedown_flag');
  const forStreaming = covering.filter((deal) => !deal.takeDown && deal.useTypes.some((use) => STREAMING_USE_TYPES.has(use)));
  const streaming = forStreaming.filter((deal) => !deal.otherChannels);
  if (streaming.some((deal) => inForce(deal, at))) return LIVE;
  if (streaming.some((deal) => deal.validUntil && deal.validUntil <= at)) return takenDown('deal_expired');
  if (streaming.some((deal) => deal.validFrom && deal.validFrom > at)) return takenDown('deal_not_started');
  if (forStreaming.length > 0) return takenDown('other_distribution_channel');
  if (covering.some((deal) => !deal.takeDown)) return takenDown('no_streaming_use');
  return takenDown('territory_not_licensed');
}

function inForce(deal: DdexDeal, at: Date): boolean {
  return (!deal.validFrom || deal.validFrom <= at) && (!deal.validUntil || at < deal.validUntil);
}

/** The moments after `now` at which a deal opens or closes, in order, each once. */
function windowEdgesAfter(now: Date, deals: readonly DdexDeal[]): Date[] {
  const edges = new Set<number>();
  for (const deal of deals) {
    for (const edge of [deal.validFrom, deal.validUntil]) if (edge && edge > now) edges.add(edge.getTime());
  }
  return [...edges].sort((a, b) => a - b).map((ms) => new Date(ms));
}

function takenDown(reason: TakedownReason): TerritoryState {
  return { status: 'taken_down', reason };
}

// Tracks carried by several releases. One rule for every source: a track is live in a
// territory while ANY release that carries it licenses it there, and a track no release
// carries any more is down everywhere ('removed_from_release'). Which releases carry a track
// is what the source's ids say: DDEX keys tracks by ISRC, a recording that a single, its album
// and a compilation all carry, so purging one of them leaves the track live where another
// still licenses it. The provider's Catalogue Events key a track by its own id on one release
// (as its CSV track rows carry one releaseId), so that release's newest snapshot is the
// track's whole truth, and a track it stops listing goes down whatever else lists that id.

/** What a source's ids say about its tracks; the one input that tells DDEX and events apart. */
export interface TrackIdentity {
  /** A track id names a track on one release (events), not a recording any release may carry (DDEX ISRCs). */
  trackBelongsToOneRelease: boolean;
}

export interface TrackCarriers {
  /** The applied release's deals for the track; absent when that release no longer lists it (dropped, purged, taken down). */
  listed?: readonly DdexDeal[];
  /** The deals of every other release of the source that carries the track; read only when a track may belong to several. */
  otherReleases: readonly (readonly DdexDeal[])[];
}

/** One release's answer for the track: its state in these territories at a moment. */
type ReleaseAnswer = (at: Date, territories: Iterable<string>) => Availability;

/**
 * The track's state per territory at `now` and what its releases' windows schedule. The
 * applied release answers first, so its reason is the one shown where no release licenses the
 * track; a release that no longer lists it answers 'removed_from_release' everywhere.
 */
export function trackAvailability(carriers: TrackCarriers, identity: TrackIdentity, now: Date, knownTerritories: Iterable<string> = []): Availability {
  const { listed } = carriers;
  const counted = identity.trackBelongsToOneRelease ? [] : carriers.otherReleases;
  const releases: ReleaseAnswer[] = [
    listed ? (at, territories) => availability(listed, at, territories) : (_at, territories) => removedEverywhere(territories),
    ...counted.map((deals): ReleaseAnswer => (at, territories) => availability(deals, at, territories)),
  ];
  if (releases.length === 1) return releases[0]!(now, knownTerritories);
  // Every release must answer for the same territories: the union of all of theirs.
  const territories = new Set<string>(knownTerritories);
  for (const release of releases) for (const t of release(now, []).territories.keys()) territories.add(t);
  const stateAt = (at: Date) => anyLive(releases.map((release) => release(at, territories)));
  // The combined state can only change where one release's does.
  const edges = new Set<number>();
  for (const release of releases) for (const change of release(now, territories).scheduled) edges.add(change.dueAt.getTime());
  const current = stateAt(now);
  const scheduled: ScheduledChange[] = [];
  let previous = current;
  for (const ms of [...edges].sort((a, b) => a - b)) {
    const dueAt = new Date(ms);
    const next = stateAt(dueAt);
    for (const [territory, state] of next) {
      if (previous.get(territory)?.status !== state.status) scheduled.push({ territory, dueAt, ...state });
    }
    previous = next;
  }
  return { territories: current, scheduled };
}

/** Live where any result is live; elsewhere the first result's reason. */
function anyLive(results: readonly Availability[]): Map<string, TerritoryState> {
  const territories = new Map<string, TerritoryState>();
  for (const result of results) {
    for (const [territory, state] of result.territories) {
      const held = territories.get(territory);
      if (!held || (held.status !== 'live' && state.status === 'live')) territories.set(territory, state);
    }
  }
  return territories;
}

/** The reason of a track no release carries any more. */
export const REMOVED_FROM_RELEASE = 'removed_from_release' satisfies TakedownReason;

function removedEverywhere(knownTerritories: Iterable<string>): Availability {
  const territories = new Map<string, TerritoryState>();
  for (const territory of territoriesToWrite([], knownTerritories)) territories.set(territory, takenDown(REMOVED_FROM_RELEASE));
  return { territories, scheduled: [] };
}

// What the decisions mean for the rows src/db/ddex.ts writes.

/** The reason stored on a scheduled change that makes an item live (a deal starts). */
const DEAL_STARTED = 'deal_started';

/**
 * The version guard of a whole-release delivery (docs/design.md invariant 2): the stored row
 * that makes `version` stale (the WW row, else any), when it is as new or newer. Nothing of a
 * stale delivery's release applies.
 */
export function newerStored<Row extends { country: string; version: string }>(stored: readonly Row[], version: string): Row | undefined {
  const decisive = stored.find((s) => s.country === WORLDWIDE) ?? stored[0];
  return decisive !== undefined && BigInt(decisive.version) >= BigInt(version) ? decisive : undefined;
}

/** One row per territory of the result, with `columns`; `downReason` replaces the reason where the item is not live. */
export function territoryRows<Columns extends object>(id: string, result: Availability, columns: Columns, downReason?: string): (TerritoryRow & Columns)[] {
  return [...result.territories].map(([country, state]) => ({
    id, country, status: state.status, reason: state.status === 'live' ? null : (downReason ?? state.reason), ...columns,
  }));
}

/** The item's schedule, replacing what older versions scheduled; no changes clears it. */
export function itemSchedule(id: string, version: string, changes: readonly ScheduledChange[]): ItemSchedule {
  return {
    id, version,
    changes: changes.map((c) => ({ country: c.territory, dueAt: c.dueAt, targetStatus: c.status, reason: c.status === 'live' ? DEAL_STARTED : c.reason })),
  };
}

/**
 * A release taken down everywhere it has rows (a DDEX purge, a takedown event). One never seen
 * still gets a tombstone, a WW row written whole, so an older delivery arriving late cannot
 * make it live (docs/design.md invariant 3); rows already stored change status only.
 */
export function releaseTombstone(id: string, storedCountries: readonly string[], reason: string, raw: unknown): { rows: TerritoryRow[]; mode: WriteTarget['mode'] } {
  const countries = storedCountries.length > 0 ? storedCountries : [WORLDWIDE];
  return {
    rows: countries.map((country) => ({ id, country, status: 'taken_down', reason, raw })),
    mode: storedCountries.length > 0 ? 'status' : 'replace',
  };
}
