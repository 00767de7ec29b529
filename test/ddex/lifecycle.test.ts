// A release's life through DDEX messages on real PostgreSQL: delivery, a newer update, a
// replayed older message, a purge by ICPN alone, replays on both sides of the purge, and a
// track that another release still licenses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { Database } from '../../src/db/client.js';
import { auditReasons, fixture, ingestDdex, state, territories, variant, openDdexWorld } from '../helpers/ddex.js';

const GRID = 'A10302B0001234567Q';
const NOW = new Date('2026-02-01T00:00:00Z');
let db: Database;
let config: Config;

beforeAll(async () => ({ db, config } = await openDdexWorld(import.meta.filename)));
afterAll(async () => db.close());

describe('a DDEX release from delivery to purge', () => {
  it('applies a delivery: the release keyed by GRid, its tracks by ISRC, live worldwide, with display titles', async () => {
    const outcome = await ingestDdex(db, config, fixture('ern382-delivery.xml'), { now: NOW });
    expect(outcome.status).toBe('applied');
    expect(outcome.run).toMatchObject({ status: 'applied', entity: 'ddex', kind: 'ddex', country: 'WW', feedDate: '2026-01-10', source: 'PADPIDA2026010101X', quarantined: 0 });
    expect(outcome.run.meta).toMatchObject({ sender: 'PADPIDA2026010101X', messageId: expect.any(String), messageType: 'NewReleaseMessage', schemaVersion: '3.8.2', releases: 1 });
    expect(outcome.run.rows).toBe(3);
    expect(outcome.run.inserted).toBe(3);
    const release = await state(db, 'release', GRID, 'FR');
    expect(release).toMatchObject({ status: 'live', country: 'WW', title: 'Harbour Lights', displayTitle: 'Harbour Lights (Deluxe Edition) (Explicit)', explicit: true });
    expect(release?.record).toMatchObject({ barcode: '5012345678900', label_name: 'Northwind Records' });
    expect(await state(db, 'track', 'GBNWR2600001')).toMatchObject({ status: 'live', displayTitle: 'Low Tide (Album Version) (Explicit)' });
    expect(await state(db, 'track', 'GBNWR2600002')).toMatchObject({ status: 'live', title: 'Café Nocturne' });
  });

  it('lets an update with a newer timestamp win', async () => {
    const outcome = await ingestDdex(db, config, fixture('ern382-update.xml'), { now: NOW });
    expect(outcome.run).toMatchObject({ status: 'applied', updated: 3, unchanged: 0 });
    expect(await state(db, 'track', 'GBNWR2600002')).toMatchObject({ status: 'live', displayTitle: 'Café Nocturne (2026 Mix)' });
  });

  it('ignores a replayed older message', async () => {
    const outcome = await ingestDdex(db, config, fixture('ern382-replayed-older.xml'), { now: NOW });
    expect(outcome.run).toMatchObject({ status: 'applied', inserted: 0, updated: 0, takenDown: 0, unchanged: 3 });
    expect(outcome.run.meta).toMatchObject({ stale: 1 });
    expect((await state(db, 'release', GRID))?.versionTitle).toBe('Deluxe Edition');
    expect(await state(db, 'track', 'GBNWR2600002')).toMatchObject({ displayTitle: 'Café Nocturne (2026 Mix)' });
  });

  it('reports the same message again as a duplicate', async () => {
    const again = await ingestDdex(db, config, fixture('ern382-update.xml'), { now: NOW });
    expect(again.status).toBe('duplicate');
  });

  it('takes the release and its tracks down on a purge naming only the ICPN, with audit rows', async () => {
    const outcome = await ingestDdex(db, config, fixture('ern382-purge.xml'), { now: NOW });
    expect(outcome.run).toMatchObject({ status: 'applied', takenDown: 3 });
    expect(await territories(db, 'release', GRID)).toEqual({ WW: 'purged' });
    expect(await territories(db, 'track', 'GBNWR2600001')).toEqual({ WW: 'purged' });
    expect(await territories(db, 'track', 'GBNWR2600002')).toEqual({ WW: 'purged' });
    expect(await auditReasons(db, GRID)).toEqual(['release WW purged']);
    expect(await auditReasons(db, 'GBNWR2600001')).toEqual(['track WW purged']);
    expect((await state(db, 'release', GRID))?.title).toBe('Harbour Lights');
  });

  it('does not resurrect a purged release from a replayed older delivery', async () => {
    const replay = await ingestDdex(db, config, fixture('ern382-update.xml'), { now: NOW, force: true });
    expect(replay.run).toMatchObject({ status: 'applied', inserted: 0, updated: 0, takenDown: 0 });
    expect(await territories(db, 'release', GRID)).toEqual({ WW: 'purged' });
    expect(await territories(db, 'track', 'GBNWR2600001')).toEqual({ WW: 'purged' });
  });

  it('brings it back with a fresh delivery, which a replayed older purge does not undo', async () => {
    const fresh = variant('ern382-update.xml', { '2026-01-12T09:00:00Z': '2026-01-22T09:00:00Z' });
    await ingestDdex(db, config, fresh, { now: NOW });
    expect(await territories(db, 'release', GRID)).toEqual({ WW: 'live' });
    expect(await territories(db, 'track', 'GBNWR2600001')).toEqual({ WW: 'live' });
    const replay = await ingestDdex(db, config, fixture('ern382-purge.xml'), { now: NOW, force: true });
    expect(replay.run).toMatchObject({ status: 'applied', takenDown: 0 });
    expect(await territories(db, 'release', GRID)).toEqual({ WW: 'live' });
    expect(await territories(db, 'track', 'GBNWR2600002')).toEqual({ WW: 'live' });
  });

  it('keeps a track live while another release of the sender still licenses it', async () => {
    // A compilation carrying the same two recordings, under its own identifiers.
    const compilation = variant('ern382-update.xml', {
      'A1-0302B-0001234567-Q': 'A1-0302B-0009999999-Z', '5 012345 678900': '5012345678863', 'NWR-0001': 'NWR-9999', '2026-01-12T09:00:00Z': '2026-01-23T09:00:00Z',
    });
    await ingestDdex(db, config, compilation, { now: NOW });
    const purge = variant('ern382-purge.xml', { '2026-01-20T09:00:00Z': '2026-01-24T09:00:00Z' });
    await ingestDdex(db, config, purge, { now: NOW });
    expect(await territories(db, 'release', GRID)).toEqual({ WW: 'purged' });
    expect(await territories(db, 'release', 'A10302B0009999999Z')).toEqual({ WW: 'live' });
    expect(await territories(db, 'track', 'GBNWR2600001')).toEqual({ WW: 'live' });
    expect(await territories(db, 'track', 'GBNWR2600002')).toEqual({ WW: 'live' });
  });
});
