// Every takedown shape of FEEDS.md "Label XML feeds", per territory, with the audit row
// naming the shape; ERN 4.3 track-level deals; quarantine of a release without identifiers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { Database } from '../../src/db/client.js';
import { listQuarantine } from '../../src/db/run-lookups.js';
import { auditReasons, fixture, ingestDdex, state, territories, openDdexWorld } from '../helpers/ddex.js';

const NOW = new Date('2026-03-01T00:00:00Z');
let db: Database;
let config: Config;

beforeAll(async () => ({ db, config } = await openDdexWorld(import.meta.filename)));
afterAll(async () => db.close());

describe('DDEX takedown shapes', () => {
  it('a NewReleaseMessage with no deal takes the release and its track down everywhere (no_deal)', async () => {
    await ingestDdex(db, config, fixture('ern382-no-deal.xml'), { now: NOW });
    expect(await territories(db, 'release', '5012345678917')).toEqual({ WW: 'no_deal' });
    expect(await territories(db, 'track', 'GBNWR2600101')).toEqual({ WW: 'no_deal' });
    expect(await auditReasons(db, '5012345678917')).toEqual(['release WW no_deal']);
  });

  it('a deal whose end date has passed (deal_expired)', async () => {
    await ingestDdex(db, config, fixture('ern382-deal-expired.xml'), { now: NOW });
    expect(await territories(db, 'release', '5012345678924')).toEqual({ WW: 'deal_expired' });
    expect(await territories(db, 'track', 'GBNWR2600201')).toEqual({ WW: 'deal_expired' });
  });

  it('the ERN 3 TakeDown flag (takedown_flag)', async () => {
    await ingestDdex(db, config, fixture('ern382-takedown-flag.xml'), { now: NOW });
    expect(await territories(db, 'release', '5012345678801')).toEqual({ WW: 'takedown_flag' });
    expect(await auditReasons(db, 'GBNWR2600401')).toEqual(['track WW takedown_flag']);
  });

  it('territorial deals: TerritoryCode, ExcludedTerritoryCode, Worldwide; download-only is not streaming', async () => {
    const outcome = await ingestDdex(db, config, fixture('ern382-territories.xml'), { now: NOW });
    expect(outcome.run.meta).toMatchObject({ releases: 3 });
    // GB and IE stream; everywhere else only downloads, which license no stream.
    expect(await territories(db, 'release', '5012345678948')).toEqual({ WW: 'no_streaming_use', GB: 'live', IE: 'live' });
    expect((await state(db, 'release', '5012345678948', 'FR'))?.takedownReason).toBe('no_streaming_use');
    expect((await state(db, 'release', '5012345678948', 'IE'))?.status).toBe('live');
    // Worldwide except US and CA.
    expect(await territories(db, 'release', '5012345678955')).toEqual({ WW: 'live', CA: 'territory_not_licensed', US: 'territory_not_licensed' });
    expect((await state(db, 'track', 'GBNWR2600602', 'US'))?.takedownReason).toBe('territory_not_licensed');
    expect((await state(db, 'track', 'GBNWR2600602', 'DE'))?.status).toBe('live');
    expect(await territories(db, 'release', '5012345678962')).toEqual({ WW: 'live' });
    expect(await auditReasons(db, '5012345678955')).toEqual(['release CA territory_not_licensed', 'release US territory_not_licensed']);
  });

  it('a later message that no longer covers a territory takes it down there, and rewrites every known row', async () => {
    // R1 again, now Worldwide: the US and CA rows become live; R0 again excluding GB only.
    const { variant } = await import('../helpers/ddex.js');
    const later = variant('ern382-territories.xml', {
      '2026-01-21T09:00:00Z': '2026-01-28T09:00:00Z',
      '<ExcludedTerritoryCode>US</ExcludedTerritoryCode>': '<ExcludedTerritoryCode>GB</ExcludedTerritoryCode>',
      '<ExcludedTerritoryCode>CA</ExcludedTerritoryCode>': '',
    });
    await ingestDdex(db, config, later, { now: NOW });
    expect(await territories(db, 'release', '5012345678955')).toEqual({ WW: 'live', CA: 'live', GB: 'territory_not_licensed', US: 'live' });
    expect(await auditReasons(db, '5012345678955')).toEqual(['release CA territory_not_licensed', 'release US territory_not_licensed', 'release GB territory_not_licensed']);
  });

  it('ERN 4.3: streams everywhere but the US (downloads only there), and a track-level deal streams one track in the US', async () => {
    const outcome = await ingestDdex(db, config, fixture('ern43-delivery.xml'), { now: NOW });
    expect(outcome.run.meta).toMatchObject({ schemaVersion: '4.3' });
    expect(await territories(db, 'release', '5012345678986')).toEqual({ WW: 'live', US: 'no_streaming_use' });
    expect(await territories(db, 'track', 'GBNWR2600901')).toEqual({ WW: 'live', US: 'live' });
    expect(await territories(db, 'track', 'GBNWR2600902')).toEqual({ WW: 'live', US: 'no_streaming_use' });
    expect(await state(db, 'track', 'GBNWR2600901', 'US')).toMatchObject({ displayTitle: 'Night Ferry (Radio Edit) (Explicit)' });
  });

  it('ERN 4.3 purge takes every territory row down', async () => {
    await ingestDdex(db, config, fixture('ern43-purge.xml'), { now: NOW });
    expect(await territories(db, 'release', '5012345678986')).toEqual({ WW: 'purged', US: 'purged' });
    expect(await territories(db, 'track', 'GBNWR2600901')).toEqual({ WW: 'purged', US: 'purged' });
  });

  it('quarantines a release without identifiers and a recording without ISRC, with line and column, and applies the rest', async () => {
    const outcome = await ingestDdex(db, config, fixture('ern382-missing-release-id.xml'), { now: NOW });
    expect(outcome.run).toMatchObject({ status: 'applied', quarantined: 2 });
    expect(await listQuarantine(db.orm, outcome.run.id)).toEqual([
      expect.objectContaining({ line: 25, column: 21, reason: 'invalid_track' }),
      expect.objectContaining({ line: 41, column: 14, reason: 'missing_release_id' }),
    ]);
    expect(await territories(db, 'release', '5012345678979')).toEqual({ WW: 'live' });
  });
});
