// The decisions src/apply/availability.ts makes for every whole-release source (DDEX messages
// and Catalogue Events): the multi-release rule for tracks, taken both ways, the version guard,
// schedule rows and the tombstone of a release never seen. Pure: no database.
import { describe, expect, it } from 'vitest';
import {
  itemSchedule, newerStored, releaseTombstone, territoryRows, trackAvailability, type Availability, type TrackIdentity,
} from '../../src/apply/availability.js';
import type { DdexDeal } from '../../src/catalogue/ddex.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const LATER = new Date('2026-07-01T00:00:00Z');
const MUCH_LATER = new Date('2026-08-01T00:00:00Z');
const SHARED_IDS: TrackIdentity = { trackBelongsToOneRelease: false };
const ONE_RELEASE: TrackIdentity = { trackBelongsToOneRelease: true };

function streaming(codes: string[], window: Pick<DdexDeal, 'validFrom' | 'validUntil'> = {}): DdexDeal {
  return { useTypes: ['OnDemandStream'], commercialModelTypes: ['SubscriptionModel'], takeDown: false, territories: { kind: 'included', codes }, ...window };
}

function states(result: Availability): Record<string, string> {
  return Object.fromEntries([...result.territories].map(([territory, state]) => [territory, state.status === 'live' ? 'live' : state.reason]));
}

function changes(result: Availability): string[] {
  return result.scheduled.map((c) => `${c.territory} ${c.status === 'live' ? 'live' : c.reason} ${c.dueAt.toISOString().slice(0, 10)}`);
}

describe('trackAvailability: the multi-release rule', () => {
  const album = [streaming(['GB'])];
  const compilation = [streaming(['US'])];

  it('tracks whose ids any release may carry are live wherever any release licenses them', () => {
    expect(states(trackAvailability({ listed: album, otherReleases: [compilation] }, SHARED_IDS, NOW))).toEqual({ WW: 'territory_not_licensed', GB: 'live', US: 'live' });
  });

  it('a track that belongs to one release follows only that release', () => {
    expect(states(trackAvailability({ listed: album, otherReleases: [compilation] }, ONE_RELEASE, NOW))).toEqual({ WW: 'territory_not_licensed', GB: 'live' });
  });

  it('a track its release stopped listing stays live under another release, unless it belongs to that one release', () => {
    const left = { otherReleases: [compilation] };
    expect(states(trackAvailability(left, SHARED_IDS, NOW, ['GB', 'US']))).toEqual({ WW: 'removed_from_release', GB: 'removed_from_release', US: 'live' });
    expect(states(trackAvailability(left, ONE_RELEASE, NOW, ['GB', 'US']))).toEqual({ WW: 'removed_from_release', GB: 'removed_from_release', US: 'removed_from_release' });
  });

  it('a track no release carries is down in every territory it has rows for, with nothing scheduled', () => {
    for (const identity of [SHARED_IDS, ONE_RELEASE]) {
      const result = trackAvailability({ otherReleases: [] }, identity, NOW, ['IE', 'WW']);
      expect(states(result)).toEqual({ WW: 'removed_from_release', IE: 'removed_from_release' });
      expect(result.scheduled).toEqual([]);
    }
  });

  it('schedules where the combined state changes: one release ending while another starts later', () => {
    const ending = [streaming(['GB'], { validUntil: LATER })];
    const starting = [streaming(['GB'], { validFrom: MUCH_LATER })];
    const carriers = { listed: ending, otherReleases: [starting] };
    expect(changes(trackAvailability(carriers, SHARED_IDS, NOW))).toEqual(['GB deal_expired 2026-07-01', 'GB live 2026-08-01']);
    expect(changes(trackAvailability(carriers, ONE_RELEASE, NOW))).toEqual(['GB deal_expired 2026-07-01']);
    // While the other release licenses it, the end of this one changes nothing.
    const overlapping = { listed: ending, otherReleases: [[streaming(['GB'])]] };
    expect(changes(trackAvailability(overlapping, SHARED_IDS, NOW))).toEqual([]);
  });

  it('where no release licenses a territory, the applied release\'s reason is shown', () => {
    const expired = [streaming(['GB'], { validUntil: NOW })];
    expect(states(trackAvailability({ listed: [], otherReleases: [expired] }, SHARED_IDS, NOW))).toEqual({ WW: 'no_deal', GB: 'no_deal' });
    expect(states(trackAvailability({ listed: expired, otherReleases: [[]] }, SHARED_IDS, NOW))).toEqual({ WW: 'territory_not_licensed', GB: 'deal_expired' });
    // A release that stopped listing the track says so, whatever the others that do not license it say.
    expect(states(trackAvailability({ otherReleases: [[], expired] }, SHARED_IDS, NOW))).toEqual({ WW: 'removed_from_release', GB: 'removed_from_release' });
  });
});

describe('the version guard', () => {
  const stored = [{ country: 'GB', version: '9' }, { country: 'WW', version: '5' }];

  it('the WW row decides: a delivery no newer than it is stale', () => {
    expect(newerStored(stored, '5')).toEqual({ country: 'WW', version: '5' });
    expect(newerStored(stored, '4')).toBeDefined();
    expect(newerStored(stored, '6')).toBeUndefined();
  });

  it('without a WW row the first row decides; nothing stored is never stale', () => {
    expect(newerStored([{ country: 'GB', version: '9' }], '8')).toBeDefined();
    expect(newerStored([], '1')).toBeUndefined();
  });
});

describe('rows to write', () => {
  it('live rows carry no reason; a down reason replaces the decided one', () => {
    const result = trackAvailability({ listed: [streaming(['GB'])], otherReleases: [] }, ONE_RELEASE, NOW);
    expect(territoryRows('T1', result, { title: 'x' })).toEqual([
      { id: 'T1', country: 'WW', status: 'taken_down', reason: 'territory_not_licensed', title: 'x' },
      { id: 'T1', country: 'GB', status: 'live', reason: null, title: 'x' },
    ]);
    expect(territoryRows('T1', result, {}, 'purged').map((r) => r.reason)).toEqual(['purged', null]);
  });

  it('a scheduled start is stored as deal_started, an end under its reason; no changes clear the schedule', () => {
    const result = trackAvailability({ listed: [streaming(['GB'], { validFrom: LATER, validUntil: MUCH_LATER })], otherReleases: [] }, ONE_RELEASE, NOW);
    expect(itemSchedule('T1', '7', result.scheduled)).toEqual({
      id: 'T1', version: '7', changes: [
        { country: 'GB', dueAt: LATER, targetStatus: 'live', reason: 'deal_started' },
        { country: 'GB', dueAt: MUCH_LATER, targetStatus: 'taken_down', reason: 'deal_expired' },
      ],
    });
    expect(itemSchedule('T1', '8', [])).toEqual({ id: 'T1', version: '8', changes: [] });
  });

  it('a release never seen gets a whole WW tombstone; a stored one goes down where it has rows, status only', () => {
    expect(releaseTombstone('R1', [], 'purged', { purged: true })).toEqual({
      rows: [{ id: 'R1', country: 'WW', status: 'taken_down', reason: 'purged', raw: { purged: true } }], mode: 'replace',
    });
    const stored = releaseTombstone('R1', ['GB', 'WW'], 'takedown_event', null);
    expect(stored.mode).toBe('status');
    expect(stored.rows.map((r) => `${r.country} ${r.reason}`)).toEqual(['GB takedown_event', 'WW takedown_event']);
  });
});
