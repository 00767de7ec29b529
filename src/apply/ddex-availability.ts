// docs/feeds.md "DDEX ERN messages": what one DDEX message's deals mean for a release or track,
// per territory, now and at the moments its deal windows open and close. Pure: the caller
// supplies the clock and the territories the catalogue already holds rows for.
//
// Territories. Catalogue rows are keyed by (source, country, id). The WORLDWIDE row holds the
// default for every country without a row of its own (`feedline get --country GB` falls back
// to it); a country row holds that country's own state. So "Worldwide except US" is a live WW
// row and a US row taken down with 'territory_not_licensed', and "GB and IE only" is a WW row
// taken down with 'territory_not_licensed' and live GB and IE rows.
//
// A message is the whole current truth about a release, so every row the item already has
// must be rewritten from it, or a country row from an older message would outlive its deal:
// pass those countries as `knownTerritories`, and write every territory of the result.
import type { DdexDeal, DdexRelease, DdexTrack } from '../catalogue/ddex.js';

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
  | 'territory_not_licensed';

export type TerritoryState = { status: 'live' } | { status: 'taken_down'; reason: TakedownReason };

/** A change the deal windows make later, if no newer message comes first. */
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
 * `knownTerritories`: countries the catalogue holds rows for (from earlier messages).
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
