// A track's availability when several releases of one sender carry it (docs/feeds.md "DDEX ERN
// messages"): the track is live in a territory if ANY of its releases licenses it there, so
// purging one release does not take down a track another still licenses. Pure, like
// src/apply/ddex-availability.ts, whose per-release rules it combines.
import type { DdexDeal } from '../catalogue/ddex.js';
import { availability, type Availability, type ScheduledChange, type TerritoryState } from './ddex-availability.js';

/**
 * The combined state per territory at `now` and the changes the deal windows schedule.
 * `dealSets`: one entry per release carrying the track (its deals for this track), the
 * preferred release first: when no release licenses a territory, its reason is the one shown.
 */
export function combinedAvailability(dealSets: readonly (readonly DdexDeal[])[], now: Date, knownTerritories: Iterable<string> = []): Availability {
  if (dealSets.length === 0) return availability([], now, knownTerritories);
  if (dealSets.length === 1) return availability(dealSets[0]!, now, knownTerritories);
  // Every release must answer for the same territories: the union of all of theirs.
  const territories = new Set<string>(knownTerritories);
  for (const deals of dealSets) for (const t of availability(deals, now).territories.keys()) territories.add(t);
  const stateAt = (at: Date) => combine(dealSets.map((deals) => availability(deals, at, territories)));
  const current = stateAt(now);
  // The combined state can only change where one release's does.
  const edges = new Set<number>();
  for (const deals of dealSets) for (const change of availability(deals, now, territories).scheduled) edges.add(change.dueAt.getTime());
  const scheduled: ScheduledChange[] = [];
  let previous = current.territories;
  for (const ms of [...edges].sort((a, b) => a - b)) {
    const dueAt = new Date(ms);
    const next = stateAt(dueAt).territories;
    for (const [territory, state] of next) {
      const before = previous.get(territory);
      if (!before || before.status !== state.status) scheduled.push({ territory, dueAt, ...state });
    }
    previous = next;
  }
  return { territories: current.territories, scheduled };
}

function combine(results: readonly Availability[]): Pick<Availability, 'territories'> {
  const territories = new Map<string, TerritoryState>();
  for (const result of results) {
    for (const [territory, state] of result.territories) {
      const held = territories.get(territory);
      if (!held || (held.status !== 'live' && state.status === 'live')) territories.set(territory, state);
    }
  }
  return { territories };
}
