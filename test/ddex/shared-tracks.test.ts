// A DDEX track is its ISRC, a recording several releases of a sender may carry
// (src/apply/availability.ts, README "Label deliveries"): a release that stops listing it
// takes it down only once no other release licenses it, with the reason removed_from_release.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { Database } from '../../src/db/client.js';
import { auditReasons, fixture, ingestDdex, territories, variant, openDdexWorld } from '../helpers/ddex.js';

const NOW = new Date('2026-02-01T00:00:00Z');
const SECOND_TRACK = '<ReleaseResourceReference ReleaseResourceType="PrimaryResource">A2</ReleaseResourceReference>';
/** ern382-update.xml as a compilation of the same two recordings, under its own identifiers. */
const COMPILATION = { 'A1-0302B-0001234567-Q': 'A1-0302B-0009999999-Z', '5 012345 678900': '5012345678863', 'NWR-0001': 'NWR-9999' };
let db: Database;
let config: Config;

beforeAll(async () => ({ db, config } = await openDdexWorld(import.meta.filename)));
afterAll(async () => db.close());

describe('a recording on an album and a compilation', () => {
  it('stays live when the album stops listing it, while the compilation licenses it', async () => {
    await ingestDdex(db, config, fixture('ern382-delivery.xml'), { now: NOW });
    await ingestDdex(db, config, variant('ern382-update.xml', { ...COMPILATION, '2026-01-12T09:00:00Z': '2026-01-23T09:00:00Z' }), { now: NOW });
    const albumWithout = await ingestDdex(db, config, variant('ern382-delivery.xml', { '2026-01-10T09:00:00Z': '2026-01-24T09:00:00Z', [SECOND_TRACK]: '' }), { now: NOW });
    expect(albumWithout.status).toBe('applied');
    expect(await territories(db, 'track', 'GBNWR2600002')).toEqual({ WW: 'live' });
    expect(await auditReasons(db, 'GBNWR2600002')).toEqual([]);
  });

  it('goes down once the compilation stops listing it too: no release carries it', async () => {
    await ingestDdex(db, config, variant('ern382-update.xml', { ...COMPILATION, '2026-01-12T09:00:00Z': '2026-01-25T09:00:00Z', [SECOND_TRACK]: '' }), { now: NOW });
    expect(await territories(db, 'track', 'GBNWR2600002')).toEqual({ WW: 'removed_from_release' });
    expect(await auditReasons(db, 'GBNWR2600002')).toEqual(['track WW removed_from_release']);
    expect(await territories(db, 'track', 'GBNWR2600001')).toEqual({ WW: 'live' });
  });
});
