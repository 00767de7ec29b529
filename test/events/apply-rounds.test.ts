// Applying many Catalogue Events together (rounds, src/events/apply.ts) ends in exactly the
// state of applying them one at a time in arrival order: the same catalogue rows, schedules,
// enhancements, takedown evidence, event outcomes and run counts. Two databases, the same
// events stored in each, on the real PostgreSQL.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { applyInboxEvent } from '../../src/events/apply.js';
import { applyEvents } from '../../src/events/dispatch.js';
import { createLogger } from '../../src/log.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { enhancedEvent, releaseEvent, SOURCE, storeTestEvent, takedownEvent } from '../helpers/events.js';

const NOW = new Date('2026-12-02T12:00:00Z');
const options = { source: SOURCE, enhancedWaitSeconds: 60, now: () => NOW };
let oneAtATime: Database;
let together: Database;

/**
 * A job's mix: two versions of one release in each order, a snapshot after a takedown and one
 * before it, an unreadable one, enhancements (two of one track), a late version.
 */
const MIX: { endpoint: 'standard' | 'enhanced'; body: object }[] = [
  { endpoint: 'standard', body: releaseEvent(200, 2, { title: 'v2', tracks: [{ id: 2001 }, { id: 2003 }], streaming: [{ territories: ['GB', 'FR'] }] }) },
  { endpoint: 'standard', body: releaseEvent(200, 1, { title: 'v1', tracks: [{ id: 2001 }, { id: 2002 }] }) },
  { endpoint: 'standard', body: releaseEvent(206, 1, { title: 'v1', tracks: [{ id: 2061 }, { id: 2062 }] }) },
  { endpoint: 'standard', body: releaseEvent(206, 2, { title: 'v2', tracks: [{ id: 2061 }], streaming: [{ territories: ['GB', 'FR'] }] }) },
  { endpoint: 'standard', body: takedownEvent(201, 2) },
  { endpoint: 'standard', body: releaseEvent(201, 1) },
  { endpoint: 'standard', body: releaseEvent(207, 1) },
  { endpoint: 'standard', body: takedownEvent(207, 2) },
  { endpoint: 'standard', body: releaseEvent(202, 1, { streaming: [{ territories: ['GB'], usageTypes: ['carrierPigeon'] }] }) },
  { endpoint: 'standard', body: releaseEvent(203, 1, { streaming: [{ territories: ['GB'], start: '2027-01-01T00:00:00Z' }] }) },
  { endpoint: 'enhanced', body: enhancedEvent(203, 2031, 2, { mood: 'newer' }) },
  { endpoint: 'enhanced', body: enhancedEvent(203, 2031, 1, { mood: 'older' }) },
  { endpoint: 'standard', body: releaseEvent(204, 3, { tracks: [{ id: 2041 }, { id: 2049 }] }) },
  { endpoint: 'enhanced', body: enhancedEvent(205, 2051, 1, { mood: 'waits' }) },
];

async function prepare(name: string): Promise<{ db: Database; ids: number[] }> {
  const db = await connect(await freshDatabase(`test/events/apply-rounds.test.ts ${name}`));
  // Release 204 is stored at version 5 before the job: its version 3 arrives late.
  expect(await applyInboxEvent(db, await storeTestEvent(db, releaseEvent(204, 5), 'standard', NOW), options)).toBe('applied');
  const ids: number[] = [];
  for (const { endpoint, body } of MIX) ids.push(await storeTestEvent(db, body, endpoint, NOW));
  return { db, ids };
}

/** Everything an apply leaves behind, without ids and times that differ between databases. */
async function state(db: Database) {
  const catalogue = (table: string) => query<Record<string, unknown>>(db.orm, sql`
    select id, country, status, takedown_reason, change_version::text, title, raw, ${sql.raw(table === 'tracks' ? 'release_id' : 'null')} as release_id
    from ${sql.raw(table)} where source = ${SOURCE} order by id, country`);
  return {
    releases: await catalogue('releases'),
    tracks: await catalogue('tracks'),
    enhancements: await query<Record<string, unknown>>(db.orm, sql`
      select track_id, version::text, data, (select version::text from events_inbox e where e.id = t.inbox_id) as from_version
      from track_enhancements t order by track_id`),
    schedules: await query<Record<string, unknown>>(db.orm, sql`
      select entity, item_id, country, due_at, target_status, reason, change_version::text, status from scheduled_availability_changes
      order by entity, item_id, country, due_at, change_version, status`),
    audit: await query<Record<string, unknown>>(db.orm, sql`
      select a.entity, a.item_id, a.country, a.reason, e.item_id as event_item, e.version::text as event_version
      from takedown_audit a join events_inbox e on e.run_id = a.run_id order by 1, 2, 3, 4, 5, 6`),
    events: await query<Record<string, unknown>>(db.orm, sql`
      select e.endpoint, e.item_id, e.version::text, e.status, e.reason, e.result, r.status as run_status, r.entity as run_entity,
        r.rows, r.inserted, r.updated, r.taken_down, r.unchanged, r.quarantined, b.status as batch_status
      from events_inbox e join feed_runs r on r.id = e.run_id join feed_batches b on b.run_id = r.id and b.seq = 0
      order by e.endpoint, e.item_id, e.version`),
  };
}

beforeAll(async () => {
  const single = await prepare('one at a time');
  oneAtATime = single.db;
  // One at a time, in the order they arrived (as applyEvents applied a job before rounds).
  for (const id of single.ids) await applyInboxEvent(oneAtATime, id, options);
  const job = await prepare('together');
  together = job.db;
  await applyEvents(together, job.ids, options, createLogger({ level: 'silent' }));
}, 60_000);
afterAll(async () => {
  await oneAtATime?.close();
  await together?.close();
});

describe('a job of events applied together', () => {
  it('ends in exactly the state of applying them one at a time in arrival order', async () => {
    const expected = await state(oneAtATime);
    const actual = await state(together);
    // The mix reaches every path: applied, stale, rejected, waiting; the track only a version
    // applied first listed went down where it was, the one only a late version listed is recorded down.
    expect(new Set(expected.events.map((e) => e.status))).toEqual(new Set(['applied', 'stale', 'rejected', 'waiting']));
    expect(expected.tracks.filter((t) => t.id === '2062').map((t) => [t.country, t.takedown_reason]))
      .toEqual([['GB', 'removed_from_release'], ['IE', 'removed_from_release'], ['WW', 'removed_from_release']]);
    expect(expected.tracks.filter((t) => t.id === '2002').map((t) => [t.country, t.takedown_reason])).toEqual([['WW', 'removed_from_release']]);
    expect(actual.releases).toEqual(expected.releases);
    expect(actual.tracks).toEqual(expected.tracks);
    expect(actual.enhancements).toEqual(expected.enhancements);
    expect(actual.schedules).toEqual(expected.schedules);
    expect(actual.audit).toEqual(expected.audit);
    expect(actual.events).toEqual(expected.events);
  });

  it('gives every event its own run, whose counts add up to the rows it stated', async () => {
    const { events } = await state(together);
    // The late version: every stored row of its release unchanged, and the track only it lists recorded down.
    expect(events.find((e) => e.item_id === '204' && e.version === '3')?.result).toEqual({ inserted: 0, updated: 0, takenDown: 1, unchanged: 9 });
    for (const e of events.filter((x) => x.run_status === 'applied')) {
      expect(Number(e.rows)).toBe(Number(e.inserted) + Number(e.updated) + Number(e.taken_down) + Number(e.unchanged) + Number(e.quarantined));
      expect(e.result).toEqual({ inserted: e.inserted, updated: e.updated, takenDown: e.taken_down, unchanged: e.unchanged });
    }
    expect(events.find((e) => e.item_id === '202')).toMatchObject({ status: 'rejected', run_status: 'rejected', run_entity: 'event' });
  });

  it('closes the events of one job in a transaction per round, not one per event', async () => {
    // A row's xmin is the transaction that last wrote it: one per round (a release's second
    // event and the second enhancement of a track wait for the next round).
    const [written] = await query<{ transactions: number; events: number }>(together.orm, sql`
      select count(distinct xmin::text)::integer as transactions, count(*)::integer as events
      from events_inbox where not (item_id = '204' and version = 5)`);
    expect(written!.events).toBe(MIX.length);
    expect(written!.transactions).toBeLessThanOrEqual(2);
  });
});
