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
    const bodies = readdirSync(SAMPLES).filter((n) => n.endsWith('.json')).sort().map((n) => JSON.parse(readFileSync(path.join(SAMPLES, n), 'utf8')) as object);
    const sweep = startEventSweep(db, rx.dispatcher, { intervalMs: 300, olderThanSeconds: 0 }, createLogger({ level: 'silent' }));
    try {
      const report = await deliver(bodies.map((body) => ({ url: rx.url('enhanced' in body ? 'enhanced' : 'standard'), body })), { keys: rx.keys, shuffle: true, concurrency: 3 });
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
    // 04: worldwide except CN, from 2026-12-01.
    expect(await states('tracks', '51000021')).toEqual({ CN: 'territory_not_licensed', WW: 'live' });
    // 05: acknowledged, applied nothing.
    const [test] = await query<{ status: string }>(db.orm, sql`select status from events_inbox where item_id = '-1'`);
    expect(test!.status).toBe('test');
    // 06: attached to its track, whichever came first.
    const [enhanced] = await query<{ data: { bpm: number } }>(db.orm, sql`select data from track_enhancements where track_id = '51000012'`);
    expect(enhanced!.data.bpm).toBe(124);
  });
});
