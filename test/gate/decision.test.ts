// The playback rule on CSV- and DDEX-sourced items, per territory, with deal windows that
// open and close (an injected clock), through the real ingest path and the CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { Database } from '../../src/db/client.js';
import { loadTrackFacts } from '../../src/db/gate.js';
import { decide, isCountry } from '../../src/gate/decision.js';
import { feedline } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { fixture, ingestDdex, SENDER } from '../helpers/ddex.js';
import { testConfig } from '../helpers/pipeline.js';
import { applyCsv, csvRelease, csvTrack } from './catalogue.js';

let db: Database;
let config: Config;
let url: string;
const NOW = new Date('2026-12-01T12:00:00Z');

async function reason(trackId: string, country: string, at = NOW, source = '7digital'): Promise<string> {
  const decision = decide(await loadTrackFacts(db.orm, source, trackId), country, at);
  return decision.playable ? 'playable' : decision.reason;
}

beforeAll(async () => {
  url = await freshDatabase('test/gate/decision.test.ts');
  db = await connect(url);
  config = testConfig({ DATABASE_URL: url });
  // GB: 2001 live; 2002 inserted then taken down; 2003 streams from 2027-03-01; 2004 on
  // release 90, which is taken down in GB; 2005 on release 91, live. US: 2001 only.
  await applyCsv(db, config, 'track', 'GB', '20261120', [
    csvTrack({ id: 2001 }), csvTrack({ id: 2002 }), csvTrack({ id: 2003, streamingReleaseDate: '2027-03-01T00:00:00Z' }),
    csvTrack({ id: 2004, releaseId: 90 }), csvTrack({ id: 2005, releaseId: 91 }),
  ]);
  await applyCsv(db, config, 'track', 'GB', '20261121', [csvTrack({ id: 2002 }, 'D')]);
  await applyCsv(db, config, 'release', 'GB', '20261120', [csvRelease(90), csvRelease(91)]);
  await applyCsv(db, config, 'release', 'GB', '20261121', [csvRelease(90, 'D')]);
  await applyCsv(db, config, 'track', 'US', '20261120', [csvTrack({ id: 2001 })]);
  for (const name of ['ern382-territories.xml', 'ern43-consecutive-deals.xml', 'ern382-deal-future-end.xml', 'ern382-delivery.xml']) {
    await ingestDdex(db, config, fixture(name));
  }
  await ingestDdex(db, config, fixture('ern382-purge.xml'));
});

afterAll(async () => {
  await db.close();
});

describe('CSV-sourced tracks', () => {
  it('a live track in its country is playable', async () => {
    expect(await reason('2001', 'GB')).toBe('playable');
    expect(await reason('2001', 'US')).toBe('playable');
  });
  it('a taken-down track is refused with taken_down', async () => {
    expect(await reason('2002', 'GB')).toBe('taken_down');
  });
  it('a track the country has no feed row for is not licensed there', async () => {
    expect(await reason('2002', 'US')).toBe('not_licensed_in_territory');
    expect(await reason('2001', 'DE')).toBe('not_licensed_in_territory');
  });
  it('a streaming release date in the future is not yet available, and plays from that moment', async () => {
    expect(await reason('2003', 'GB')).toBe('not_yet_available');
    expect(await reason('2003', 'GB', new Date('2027-02-28T23:59:59Z'))).toBe('not_yet_available');
    expect(await reason('2003', 'GB', new Date('2027-03-01T00:00:00Z'))).toBe('playable');
  });
  it('a live track on a release taken down in the country is refused with release_taken_down', async () => {
    expect(await reason('2004', 'GB')).toBe('release_taken_down');
    expect(await reason('2005', 'GB')).toBe('playable');
  });
  it('unknown tracks and countries', async () => {
    expect(await reason('999999', 'GB')).toBe('unknown_track');
    expect(await reason('2001', 'XX')).toBe('unknown_country');
    expect(await reason('2001', 'gb')).toBe('unknown_country');
    expect(await reason('2001', 'WW')).toBe('unknown_country');
    expect(isCountry('DE') && !isCountry('EU') && !isCountry('ZZ')).toBe(true);
  });
});

describe('DDEX-sourced tracks', () => {
  const ddex = (isrc: string, country: string, at = NOW) => reason(isrc, country, at, SENDER);
  it('territorial deals: licensed countries, excluded countries, download-only elsewhere', async () => {
    expect(await ddex('GBNWR2600601', 'GB')).toBe('playable');
    expect(await ddex('GBNWR2600601', 'IE')).toBe('playable');
    // Worldwide is licensed for download only: no stream outside GB and IE.
    expect(await ddex('GBNWR2600601', 'FR')).toBe('not_licensed_in_territory');
    expect(await ddex('GBNWR2600602', 'US')).toBe('not_licensed_in_territory');
    expect(await ddex('GBNWR2600602', 'FR')).toBe('playable');
    expect(await ddex('GBNWR2600603', 'JP')).toBe('playable');
  });
  it('a deal that starts later: not yet available until it starts, then playable, then refused when it ends', async () => {
    expect(await ddex('DENWR2601001', 'CH')).toBe('not_yet_available');
    expect(await ddex('DENWR2601001', 'CH', new Date('2029-12-31T22:59:59Z'))).toBe('not_yet_available');
    expect(await ddex('DENWR2601001', 'CH', new Date('2029-12-31T23:00:00Z'))).toBe('playable');
    expect(await ddex('DENWR2601001', 'CH', new Date('2031-01-01T00:00:00Z'))).toBe('taken_down');
    // Consecutive deals in DE: playable across the boundary.
    expect(await ddex('DENWR2601001', 'DE', new Date('2030-07-01T00:00:00Z'))).toBe('playable');
    expect(await ddex('DENWR2601001', 'FR')).toBe('not_licensed_in_territory');
  });
  it('a deal that ends is refused from its end, before ddex-due applies it', async () => {
    expect(await ddex('GBNWR2600301', 'GB', new Date('2099-06-29T12:00:00Z'))).toBe('playable');
    expect(await ddex('GBNWR2600301', 'GB', new Date('2099-07-01T00:00:00Z'))).toBe('taken_down');
  });
  it('a purged release takes its tracks down', async () => {
    expect(await ddex('GBNWR2600001', 'GB')).toBe('taken_down');
  });
});

describe('feedline playable', () => {
  const env = () => ({ DATABASE_URL: url, FEEDLINE_HOME: '/tmp' });
  it('exits 0 for a playable track and 10 with the reason for one that is not', async () => {
    const live = await feedline(['playable', 'track', '2001', '--country', 'GB', '--json'], env());
    expect(live.code).toBe(0);
    expect(JSON.parse(live.stdout)).toMatchObject({ trackId: '2001', country: 'GB', playable: true, reason: null });
    const down = await feedline(['playable', 'track', '2002', '--country', 'gb'], env());
    expect(down.code).toBe(10);
    expect(down.stdout.trim()).toBe('not playable: taken_down');
    const later = await feedline(['playable', 'track', 'DENWR2601001', '--country', 'CH', '--source', SENDER, '--at', '2030-02-01T00:00:00Z', '--json'], env());
    expect(later.code).toBe(0);
    const usage = await feedline(['playable', 'track', '2001'], env());
    expect(usage.code).toBe(2);
  });
});
