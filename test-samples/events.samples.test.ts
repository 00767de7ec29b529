// The shared Catalogue Events examples, posted by the provider stand-in out of order to a
// receiver: the catalogue ends as the newest snapshot of each release says. Read in place.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../src/db/client.js';
import { startEventSweep } from '../src/events/dispatch.js';
import { createLogger } from '../src/log.js';
import { connect, freshDatabase } from '../test/helpers/db.js';
import { SOURCE, startTestReceiver, type TestReceiver } from '../test/helpers/events.js';
import { deliver } from '../test/helpers/provider.js';

const SAMPLES = path.resolve(import.meta.dirname, '../../shared/samples/catalogue-events');
let db: Database;
let rx: TestReceiver;

beforeAll(async () => {
  db = await connect(await freshDatabase(import.meta.filename));
  rx = await startTestReceiver(db);
});
afterAll(async () => {
  await rx?.close();
  await db?.close();
});

async function states(table: 'releases' | 'tracks', id: string) {
  const rows = await query<{ country: string; status: string; reason: string | null }>(db.orm, sql`
    select country, status, takedown_reason as reason from ${sql.raw(table)} where source = ${SOURCE} and id = ${id} order by country`);
  return Object.fromEntries(rows.map((r) => [r.country, r.status === 'live' ? 'live' : r.reason]));
}

describe('the Catalogue Events examples', () => {
  it('end as the newest snapshot of each release says, whatever the order', async () => {
    const bodies = readdirSync(SAMPLES).filter((n) => n.endsWith('.json')).sort().map((n) => JSON.parse(readFileSync(path.join(SAMPLES, n), 'utf8')) as object[]);
    // Every body is a JSON array of items (the provider's published shape).
    expect(bodies.every((b) => Array.isArray(b) && b.length > 0)).toBe(true);
    const endpointOf = (body: object[]) => ('trackId' in body[0]! ? 'enhanced' : 'standard');
    const sweep = startEventSweep(db, rx.dispatcher, { intervalMs: 300, olderThanSeconds: 0 }, createLogger({ level: 'silent' }));
    try {
      const report = await deliver(bodies.map((body) => ({ url: rx.url(endpointOf(body)), body })), { keys: rx.keys, shuffle: true, concurrency: 3 });
      expect(report.acknowledged.length).toBe(bodies.length);
      for (let i = 0; i < 40; i++) {
        const [open] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from events_inbox where status in ('pending', 'waiting')`);
        if (open!.n === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await sweep.stop();
    }
    // 03: the takedown is the newest event of release 4100001: everything down, with its reason.
    // Its worldwide tombstone is there in every order; the territory rows of the older snapshots
    // only when they arrived first (after the takedown they are stale and write no availability).
    const release = await states('releases', '4100001');
    expect(release.WW).toBe('takedown_event');
    expect(Object.values(release).every((s) => s === 'takedown_event')).toBe(true);
    // Every track the snapshots listed is stored, down, in every order.
    for (const track of ['51000011', '51000012', '51000013']) {
      const territories = Object.values(await states('tracks', track));
      expect(territories.length).toBeGreaterThan(0);
      expect(territories.every((s) => s === 'takedown_event')).toBe(true);
    }
    // 02 dropped track 51000013: if 02 came before the takedown it left the release; either way it is down.
    // 04: a minimal release, streamable in the five countries it lists from 2026-12-01.
    const nordic = { DK: 'live', FI: 'live', GB: 'live', NO: 'live', SE: 'live', WW: 'territory_not_licensed' };
    expect(await states('releases', '4100002')).toEqual(nordic);
    expect(await states('tracks', '51000021')).toEqual(nordic);
    // 05: the three validation events are acknowledged and apply nothing.
    const tests = await query<{ itemId: string; status: string; runId: number | null }>(db.orm, sql`
      select item_id as "itemId", status, run_id::integer as "runId" from events_inbox where item_id::bigint < 0 order by item_id::bigint desc`);
    expect(tests).toEqual(['-1', '-2', '-3'].map((itemId) => ({ itemId, status: 'test', runId: null })));
    const [applied] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from releases where id::bigint < 0`);
    expect(applied!.n).toBe(0);
    // 06: attached to its track, whichever came first, without what identifies it.
    const [enhanced] = await query<{ data: { content: { label: string }; embedding: number[]; trackId?: number } }>(db.orm, sql`
      select data from track_enhancements where track_id = '51000012'`);
    expect(enhanced!.data.content.label).toBe('music');
    expect(enhanced!.data.embedding.length).toBeGreaterThan(0);
    expect(enhanced!.data.trackId).toBeUndefined();
    // 07: two items in one body, each its own event: a release and a takedown of a release never seen.
    expect(await states('releases', '4100003')).toEqual(nordic);
    expect(await states('releases', '4100004')).toEqual({ WW: 'takedown_event' });
    const [items] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from events_inbox where item_id in ('4100003', '4100004') and status = 'applied'`);
    expect(items!.n).toBe(2);
    // Nothing refused, nothing left open.
    const [open] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from events_inbox where status not in ('applied', 'stale', 'test')`);
    expect(open!.n).toBe(0);
  });
});
