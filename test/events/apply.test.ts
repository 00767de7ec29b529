// Applying Catalogue Events: the version guard, snapshots, takedowns, windows, enhancements,
// on the real PostgreSQL. Events are stored as the receiver stores them, then applied.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { pendingSchedule } from '../../src/db/ddex.js';
import { applyInboxEvent, type EventOutcome } from '../../src/events/apply.js';
import { eventChangeVersion } from '../../src/events/version.js';
import { versionBase } from '../../src/catalogue/version.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { enhancedEvent, releaseEvent, SOURCE, storeTestEvent, takedownEvent } from '../helpers/events.js';

let db: Database;
const NOW = new Date('2026-12-02T12:00:00Z');

beforeAll(async () => {
  db = await connect(await freshDatabase('test/events/apply.test.ts'));
});
afterAll(async () => {
  await db?.close();
});

function receive(body: object, endpoint: 'standard' | 'enhanced' = 'standard', receivedAt = NOW, iat?: Date): Promise<number> {
  return storeTestEvent(db, body, endpoint, receivedAt, iat);
}

async function apply(id: number, now = NOW): Promise<EventOutcome> {
  return applyInboxEvent(db, id, { source: SOURCE, enhancedWaitSeconds: 60, now: () => now });
}

async function deliver(body: object): Promise<EventOutcome> {
  return apply(await receive(body));
}

async function rows(table: 'releases' | 'tracks', id: string) {
  return query<{ country: string; status: string; reason: string | null; title: string | null }>(db.orm, sql`
    select country, status, takedown_reason as reason, title from ${sql.raw(table)} where source = ${SOURCE} and id = ${id} order by country`);
}

async function audit(itemId: string) {
  return query<{ entity: string; country: string; reason: string }>(db.orm, sql`
    select entity, country, reason from takedown_audit where source = ${SOURCE} and item_id = ${itemId} order by id`);
}

describe('the version guard', () => {
  it('versions 3, 1, 2 of one release end at version 3', async () => {
    expect(await deliver(releaseEvent(100, 3, { title: 'v3' }))).toBe('applied');
    expect(await deliver(releaseEvent(100, 1, { title: 'v1' }))).toBe('stale');
    expect(await deliver(releaseEvent(100, 2, { title: 'v2' }))).toBe('stale');
    expect((await rows('releases', '100')).map((r) => r.title)).toEqual(['v3', 'v3', 'v3']);
    expect((await rows('tracks', '1001')).every((r) => r.title === 'Track 1001')).toBe(true);
    const [counts] = await query<{ stale: number; applied: number }>(db.orm, sql`
      select count(*) filter (where status = 'stale')::integer as stale, count(*) filter (where status = 'applied')::integer as applied
      from events_inbox where item_id = '100'`);
    expect(counts).toEqual({ stale: 2, applied: 1 });
  });

  it('a takedown, then an older snapshot: the release stays down', async () => {
    await deliver(releaseEvent(101, 1));
    expect(await deliver(takedownEvent(101, 5))).toBe('applied');
    expect(await deliver(releaseEvent(101, 3))).toBe('stale');
    for (const id of ['101', '1011', '1012']) {
      const territory = await rows(id === '101' ? 'releases' : 'tracks', id);
      expect(territory.length).toBeGreaterThan(0);
      expect(territory.every((r) => r.status === 'taken_down' && r.reason === 'takedown_event')).toBe(true);
    }
    expect((await audit('1011')).filter((a) => a.reason === 'takedown_event').map((a) => a.country).sort()).toEqual(['GB', 'IE', 'WW']);
  });

  it('a newer snapshot after a takedown brings the release back', async () => {
    await deliver(releaseEvent(102, 1));
    await deliver(takedownEvent(102, 2));
    expect(await deliver(releaseEvent(102, 3, { title: 'back' }))).toBe('applied');
    expect(await rows('releases', '102')).toEqual([
      { country: 'GB', status: 'live', reason: null, title: 'back' },
      { country: 'IE', status: 'live', reason: null, title: 'back' },
      { country: 'WW', status: 'taken_down', reason: 'territory_not_licensed', title: 'back' },
    ]);
  });

  it('a takedown of a release never seen leaves a tombstone that an older snapshot cannot undo', async () => {
    await deliver(takedownEvent(103, 9));
    expect(await deliver(releaseEvent(103, 8))).toBe('stale');
    expect(await rows('releases', '103')).toEqual([{ country: 'WW', status: 'taken_down', reason: 'takedown_event', title: null }]);
    // Its tracks are stored down under the takedown, so their enhancements have somewhere to go.
    expect(await rows('tracks', '1031')).toEqual([{ country: 'WW', status: 'taken_down', reason: 'takedown_event', title: 'Track 1031' }]);
    expect((await audit('1031')).map((a) => `${a.country}:${a.reason}`)).toEqual(['WW:takedown_event']);
    expect(await deliver(releaseEvent(103, 7))).toBe('stale');
    expect(await rows('tracks', '1031')).toHaveLength(1);
  });

  it('a track only an older snapshot lists is stored as left the release, in any order', async () => {
    await deliver(releaseEvent(105, 2, { tracks: [{ id: 1051 }] }));
    expect(await deliver(releaseEvent(105, 1, { tracks: [{ id: 1051 }, { id: 1052 }] }))).toBe('stale');
    expect(await rows('tracks', '1052')).toEqual([{ country: 'WW', status: 'taken_down', reason: 'removed_from_release', title: 'Track 1052' }]);
    expect((await rows('tracks', '1051')).some((r) => r.status === 'live')).toBe(true);
  });

  it('applying an event twice changes nothing the second time', async () => {
    const id = await receive(releaseEvent(104, 1));
    expect(await apply(id)).toBe('applied');
    expect(await apply(id)).toBe('skipped');
  });
});

describe('a snapshot is the whole truth of its release', () => {
  it('takes down a territory no longer covered and a track that left, each with an audit reason', async () => {
    await deliver(releaseEvent(110, 1, { streaming: [{ territories: ['GB', 'IE', 'DE'] }] }));
    await deliver(releaseEvent(110, 2, { tracks: [{ id: 1101 }], streaming: [{ territories: ['GB', 'IE'] }] }));
    expect((await rows('releases', '110')).find((r) => r.country === 'DE')).toMatchObject({ status: 'taken_down', reason: 'territory_not_licensed' });
    expect((await rows('tracks', '1101')).find((r) => r.country === 'DE')).toMatchObject({ status: 'taken_down', reason: 'territory_not_licensed' });
    expect((await rows('tracks', '1102')).filter((r) => r.status === 'live')).toEqual([]);
    expect((await audit('1102')).filter((a) => a.reason === 'removed_from_release').map((a) => a.country).sort()).toEqual(['DE', 'GB', 'IE', 'WW']);
    expect((await audit('110')).map((a) => `${a.country}:${a.reason}`)).toContain('DE:territory_not_licensed');
  });

  it('a track\'s own streaming availability overrides its release\'s', async () => {
    await deliver(releaseEvent(111, 1, { tracks: [{ id: 1111, streaming: [{ territories: ['DE'] }] }, { id: 1112 }] }));
    expect((await rows('tracks', '1111')).map((r) => `${r.country}:${r.status}`)).toEqual(['DE:live', 'WW:taken_down']);
    expect((await rows('tracks', '1112')).map((r) => `${r.country}:${r.status}`)).toEqual(['GB:live', 'IE:live', 'WW:taken_down']);
  });

  it('a download-only territory makes nothing streamable', async () => {
    await deliver(releaseEvent(112, 1, { streaming: [{ territories: ['GB'] }], download: [{ territories: ['FR', 'GB'] }] }));
    expect((await rows('releases', '112')).find((r) => r.country === 'FR')).toMatchObject({ status: 'taken_down', reason: 'no_streaming_use' });
    expect((await rows('tracks', '1121')).map((r) => `${r.country}:${r.status}`)).toEqual(['FR:taken_down', 'GB:live', 'WW:taken_down']);
  });

  it('schedules future windows as DDEX deal windows are scheduled', async () => {
    await deliver(releaseEvent(113, 1, { streaming: [{ territories: ['GB'], start: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' }, { territories: ['US'], start: '2027-01-15T00:00:00Z', usageTypes: ['subscriptionStreaming'] }] }));
    expect((await rows('tracks', '1131')).map((r) => `${r.country}:${r.status}:${r.reason}`)).toEqual(['GB:live:null', 'US:taken_down:deal_not_started', 'WW:taken_down:territory_not_licensed']);
    const pending = await pendingSchedule(db.orm, 'track', SOURCE, '1131');
    expect(pending.map((p) => `${p.country}:${p.targetStatus}:${new Date(p.dueAt).toISOString()}`)).toEqual([
      'GB:taken_down:2027-01-01T00:00:00.000Z', 'US:live:2027-01-15T00:00:00.000Z',
    ]);
    // A newer snapshot replaces the schedule.
    await deliver(releaseEvent(113, 2, { streaming: [{ territories: ['GB'] }] }));
    expect(await pendingSchedule(db.orm, 'track', SOURCE, '1131')).toEqual([]);
  });

  it('maps every published release field, and keeps unknown ones', async () => {
    const item = { ...releaseEvent(114, 1, { title: 'Night Walks', tracks: [{ id: 1141, title: 'Ride Wit Me', subtitle: 'Album Version (Explicit)' }] }), subtitle: 'Deluxe', explicitContent: true };
    item.tracks[0]!.explicitContent = true;
    await deliver(item);
    const [release] = await query<{ displayTitle: string; barcode: string; labelName: string; artist: string; raw: Record<string, unknown> }>(db.orm, sql`
      select display_title as "displayTitle", barcode, label_name as "labelName", artist_appears_as as artist, raw from releases where id = '114' and country = 'GB'`);
    expect(release).toMatchObject({ displayTitle: 'Night Walks (Deluxe) (Explicit)', barcode: '0000000000000', labelName: 'Test Label', artist: 'Test Artist' });
    expect(release!.raw).toMatchObject({ genres: ['Test'], cLine: '(C) Test Label', label: { licensor: { name: 'Test Licensor' } }, futureField: { kept: true } });
    const [track] = await query<{ displayTitle: string }>(db.orm, sql`select display_title as "displayTitle" from tracks where id = '1141' and country = 'GB'`);
    expect(track!.displayTitle).toBe('Ride Wit Me (Album Version) (Explicit)');
  });

  it('applies a release of only the required fields', async () => {
    expect(await deliver({ id: 115, version: 1 })).toBe('applied');
    expect(await rows('releases', '115')).toEqual([{ country: 'WW', status: 'taken_down', reason: 'no_deal', title: null }]);
  });

  it('an availability it cannot read is recorded on the run and alerted, and nothing of the snapshot is applied', async () => {
    await deliver(releaseEvent(116, 1));
    const raised: string[] = [];
    const alerter = { raise: async (a: { subject: string; message: string }) => { raised.push(`${a.subject}: ${a.message}`); return true; }, resolve: async () => false };
    const unknownUsage = await receive(releaseEvent(116, 2, { streaming: [{ territories: ['GB'], usageTypes: ['cloudLocker'] }] }));
    expect(await applyInboxEvent(db, unknownUsage, { source: SOURCE, enhancedWaitSeconds: 60, now: () => NOW, alerter })).toBe('rejected');
    const unknownShape = await receive({ ...releaseEvent(116, 3), streamingAvailability: { GB: true } });
    expect(await applyInboxEvent(db, unknownShape, { source: SOURCE, enhancedWaitSeconds: 60, now: () => NOW, alerter })).toBe('rejected');
    const runs = await query<{ status: string; error: string; inbox: string }>(db.orm, sql`
      select r.status, r.error, e.status as inbox from feed_runs r join events_inbox e on e.run_id = r.id where e.id in (${unknownUsage}, ${unknownShape}) order by e.id`);
    expect(runs).toEqual([
      { status: 'rejected', inbox: 'rejected', error: expect.stringContaining('unknown usage type "cloudLocker"') },
      { status: 'rejected', inbox: 'rejected', error: expect.stringContaining('streamingAvailability') },
    ]);
    expect(raised).toHaveLength(2);
    expect(raised[0]).toContain('cloudLocker');
    // The release keeps the state of the last snapshot that could be read.
    expect((await rows('releases', '116')).filter((r) => r.status === 'live').map((r) => r.country)).toEqual(['GB', 'IE']);
  });
});

describe('Enhanced Metadata', () => {
  it('waits for its track, then attaches; an older version does not overwrite a newer one', async () => {
    const early = await receive(enhancedEvent(120, 1201, 5, { bpm: 120 }), 'enhanced');
    expect(await apply(early)).toBe('waiting');
    await deliver(releaseEvent(120, 1));
    expect(await apply(early)).toBe('applied');
    expect(await apply(await receive(enhancedEvent(120, 1201, 4, { bpm: 90 }), 'enhanced'))).toBe('stale');
    const [row] = await query<{ data: Record<string, unknown> }>(db.orm, sql`select data from track_enhancements where track_id = '1201'`);
    expect(row!.data).toEqual({ bpm: 120 });
    expect((await rows('tracks', '1201')).every((r) => r.status !== undefined)).toBe(true);
  });

  it('attaches to a track whose release was taken down before any snapshot of it came', async () => {
    await deliver(takedownEvent(121, 9));
    const early = await receive(enhancedEvent(121, 1211, 5, { bpm: 99 }), 'enhanced');
    expect(await apply(early)).toBe('waiting');
    expect(await deliver(releaseEvent(121, 1))).toBe('stale');
    expect(await apply(early)).toBe('applied');
    const [row] = await query<{ data: { bpm: number } }>(db.orm, sql`select data from track_enhancements where track_id = '1211'`);
    expect(row!.data.bpm).toBe(99);
  });

  it('is rejected after waiting too long for a track that never came', async () => {
    const id = await receive(enhancedEvent(129, 1299, 1, { bpm: 1 }), 'enhanced');
    expect(await apply(id, new Date(NOW.getTime() + 61_000))).toBe('rejected');
  });
});

describe('evidence and order', () => {
  it('the takedown evidence starts the clock at the token iat when it is earlier than receipt', async () => {
    await deliver(releaseEvent(130, 1));
    const iat = new Date(NOW.getTime() - 90_000);
    await apply(await receive(takedownEvent(130, 2), 'standard', NOW, iat));
    const [record] = await query<{ publishedAt: Date; receivedAt: Date }>(db.orm, sql`
      select published_at as "publishedAt", received_at as "receivedAt" from takedown_audit where item_id = '130' and country = 'GB'`);
    expect(new Date(record!.publishedAt).toISOString()).toBe(iat.toISOString());
    expect(new Date(record!.receivedAt).toISOString()).toBe(NOW.toISOString());
    const [run] = await query<{ status: string; kind: string; rows: number }>(db.orm, sql`
      select r.status, r.kind, r.rows from feed_runs r join events_inbox e on e.run_id = r.id where e.item_id = '130' and e.version = 2`);
    expect(run).toMatchObject({ status: 'applied', kind: 'event' });
  });

  it('an event version (epoch ms) sorts after feed rows published before it and before those published after', () => {
    const at = Date.parse('2026-12-02T06:00:00Z');
    const event = eventChangeVersion(BigInt(at));
    expect(event > versionBase(new Date(at - 1000), 'updates') + 5_000_000n).toBe(true);
    expect(event > versionBase(new Date(at), 'updates') + 5_000_000n).toBe(true);
    expect(event < versionBase(new Date(at + 1000), 'full')).toBe(true);
    expect(eventChangeVersion(BigInt(at + 1)) > event).toBe(true);
  });
});
