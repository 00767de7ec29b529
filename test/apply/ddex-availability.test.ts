import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availability, STREAMING_USE_TYPES, trackDeals, WORLDWIDE, type Availability } from '../../src/apply/availability.js';
import { readDdexMessage } from '../../src/parse/ddex/index.js';
import type { DdexDeal, DdexRelease } from '../../src/catalogue/ddex.js';

const NOW = new Date('2026-02-01T12:00:00Z');

function deal(overrides: Partial<DdexDeal> = {}): DdexDeal {
  return {
    useTypes: ['OnDemandStream'],
    commercialModelTypes: ['SubscriptionModel'],
    territories: { kind: 'included', codes: ['Worldwide'] },
    takeDown: false,
    ...overrides,
  };
}

function states(result: Availability): Record<string, string> {
  return Object.fromEntries([...result.territories].map(([territory, state]) => [territory, state.status === 'live' ? 'live' : state.reason]));
}

async function fixtureRelease(name: string): Promise<DdexRelease> {
  for await (const event of readDdexMessage(createReadStream(join(import.meta.dirname, '../../fixtures/ddex', name)), name)) {
    if (event.type === 'release') return event.release;
  }
  throw new Error(`${name} has no release`);
}

describe('availability: takedown shapes (FEEDS.md "Label XML feeds")', () => {
  it('takes an item with no deal at all down worldwide', () => {
    expect(availability([], NOW)).toEqual({ territories: new Map([[WORLDWIDE, { status: 'taken_down', reason: 'no_deal' }]]), scheduled: [] });
  });

  it('takes down where a TakeDown deal is in force, whatever else is licensed there', () => {
    const result = availability([deal(), deal({ useTypes: [], takeDown: true, territories: { kind: 'included', codes: ['US'] } })], NOW);
    expect(states(result)).toEqual({ WW: 'live', US: 'takedown_flag' });
  });

  it('takes down when the streaming deal has ended', () => {
    const result = availability([deal({ validFrom: new Date('2024-01-01Z'), validUntil: new Date('2026-01-01Z') })], NOW);
    expect(states(result)).toEqual({ WW: 'deal_expired' });
    expect(result.scheduled).toEqual([]);
  });

  it('keeps an item live until a future end, and schedules the takedown at that moment', () => {
    const result = availability([deal({ validUntil: new Date('2099-07-01T00:00:00Z') })], NOW);
    expect(states(result)).toEqual({ WW: 'live' });
    expect(result.scheduled).toEqual([{ territory: WORLDWIDE, dueAt: new Date('2099-07-01T00:00:00Z'), status: 'taken_down', reason: 'deal_expired' }]);
  });

  it('keeps an item down until a future start, and schedules it to go live then', () => {
    const result = availability([deal({ validFrom: new Date('2026-03-01T00:00:00Z') })], NOW);
    expect(states(result)).toEqual({ WW: 'deal_not_started' });
    expect(result.scheduled).toEqual([{ territory: WORLDWIDE, dueAt: new Date('2026-03-01T00:00:00Z'), status: 'live' }]);
  });

  it('makes nothing available by a deal without a streaming use', () => {
    expect(states(availability([deal({ useTypes: ['PermanentDownload', 'ConditionalDownload'] })], NOW))).toEqual({ WW: 'no_streaming_use' });
    expect([...STREAMING_USE_TYPES].sort()).toEqual(['NonInteractiveStream', 'OnDemandStream', 'Stream']);
  });
});

describe('availability: territories', () => {
  it('licenses listed countries only: WW down, the countries live', () => {
    const result = availability([deal({ territories: { kind: 'included', codes: ['IE', 'GB'] } }), deal({ useTypes: ['PermanentDownload'] })], NOW);
    expect(states(result)).toEqual({ WW: 'no_streaming_use', GB: 'live', IE: 'live' });
    expect([...result.territories.keys()]).toEqual(['WW', 'GB', 'IE']);
  });

  it('licenses everywhere but excluded countries: WW live, the excluded ones down', () => {
    const result = availability([deal({ territories: { kind: 'excluded', codes: ['US', 'CA'] } })], NOW);
    expect(states(result)).toEqual({ WW: 'live', CA: 'territory_not_licensed', US: 'territory_not_licensed' });
  });

  it('reads Worldwide in an excluded list as licensing nowhere', () => {
    expect(states(availability([deal({ territories: { kind: 'excluded', codes: ['Worldwide'] } })], NOW))).toEqual({ WW: 'territory_not_licensed' });
  });

  it('lets a country deal and a worldwide deal add up', () => {
    const result = availability([
      deal({ territories: { kind: 'included', codes: ['Worldwide'] }, validUntil: new Date('2026-01-15Z') }),
      deal({ territories: { kind: 'included', codes: ['GB'] } }),
    ], NOW);
    expect(states(result)).toEqual({ WW: 'deal_expired', GB: 'live' });
  });

  it('rewrites countries the catalogue already holds from the WW default of this message', () => {
    const everywhere = availability([deal()], NOW, ['gb', 'US']);
    expect(states(everywhere)).toEqual({ WW: 'live', GB: 'live', US: 'live' });
    const gbOnly = availability([deal({ territories: { kind: 'included', codes: ['GB'] } })], NOW, ['US', 'WW']);
    expect(states(gbOnly)).toEqual({ WW: 'territory_not_licensed', GB: 'live', US: 'territory_not_licensed' });
    expect(states(availability([], NOW, ['GB']))).toEqual({ WW: 'no_deal', GB: 'no_deal' });
  });
});

describe('availability: deal windows over time', () => {
  it('schedules no takedown between deals that end and start on consecutive dates', async () => {
    const release = await fixtureRelease('ern382-consecutive-deals.xml');
    const result = availability(release.deals, NOW);
    expect(states(result)).toEqual({ WW: 'territory_not_licensed', GB: 'live' });
    expect(result.scheduled).toEqual([{ territory: 'GB', dueAt: new Date('2032-01-01T00:00:00Z'), status: 'taken_down', reason: 'deal_expired' }]);
  });

  it('schedules a takedown and a later go-live around a gap', () => {
    const result = availability([
      deal({ validUntil: new Date('2026-06-01Z') }),
      deal({ validFrom: new Date('2026-07-01Z'), validUntil: new Date('2027-01-01Z') }),
    ], NOW);
    expect(result.scheduled).toEqual([
      { territory: WORLDWIDE, dueAt: new Date('2026-06-01Z'), status: 'taken_down', reason: 'deal_expired' },
      { territory: WORLDWIDE, dueAt: new Date('2026-07-01Z'), status: 'live' },
      { territory: WORLDWIDE, dueAt: new Date('2027-01-01Z'), status: 'taken_down', reason: 'deal_expired' },
    ]);
  });

  it('schedules a TakeDown deal that starts later', () => {
    const result = availability([deal(), deal({ useTypes: [], takeDown: true, validFrom: new Date('2026-02-10Z') })], NOW);
    expect(states(result)).toEqual({ WW: 'live' });
    expect(result.scheduled).toEqual([{ territory: WORLDWIDE, dueAt: new Date('2026-02-10Z'), status: 'taken_down', reason: 'takedown_flag' }]);
  });

  it('reads the ERN 4.3 fixture: DE and AT live without a break, CH scheduled to go live and come down', async () => {
    const release = await fixtureRelease('ern43-consecutive-deals.xml');
    const result = availability(release.deals, NOW);
    expect(states(result)).toEqual({ WW: 'territory_not_licensed', AT: 'live', CH: 'deal_not_started', DE: 'live' });
    expect(result.scheduled).toEqual([
      { territory: 'CH', dueAt: new Date('2029-12-31T23:00:00Z'), status: 'live' },
      { territory: 'CH', dueAt: new Date('2031-01-01T00:00:00Z'), status: 'taken_down', reason: 'deal_expired' },
    ]);
  });
});

describe('trackDeals', () => {
  it('licenses a track by its release deals and its own track-level release deals', async () => {
    const release = await fixtureRelease('ern43-delivery.xml');
    const [withTrackRelease, albumOnly] = release.tracks;
    const at = new Date('2026-03-01T00:00:00Z');
    expect(states(availability(release.deals, at))).toEqual({ WW: 'live', US: 'no_streaming_use' });
    expect(states(availability(trackDeals(release, withTrackRelease!), at))).toEqual({ WW: 'live', US: 'live' });
    expect(states(availability(trackDeals(release, albumOnly!), at))).toEqual({ WW: 'live', US: 'no_streaming_use' });
  });
});
