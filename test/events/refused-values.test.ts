// Catalogue Events holding what PostgreSQL cannot store (README "Bad input"): a NUL or a lone
// surrogate in a string, a date that does not exist. A release item with one is refused whole
// (400 naming the item and field, nothing stored); a takedown needs only its key, so it is
// stored and applied, its unstorable fields warnings. And when the database still refuses a
// snapshot at apply (a rule nobody foresaw), a takedown applies by its keys alone.
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { listQuarantine } from '../../src/db/run-lookups.js';
import { applyInboxEvent, applyInboxEvents } from '../../src/events/apply.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { enhancedEvent, releaseEvent, SOURCE, startTestReceiver, storeTestEvent, takedownEvent, type TestReceiver } from '../helpers/events.js';
import { postEvent, signToken } from '../helpers/provider.js';
import { unstorableText } from '../helpers/refused-values.js';

let db: Database;
let rx: TestReceiver;
const NOW = new Date('2026-12-02T12:00:00Z');

beforeAll(async () => {
  db = await connect(await freshDatabase(import.meta.filename));
  rx = await startTestReceiver(db);
});
afterAll(async () => {
  await rx?.close();
  await db?.close();
});

async function inbox(itemId: string) {
  return query<{ status: string; runId: number }>(db.orm, sql`
    select status, run_id::integer as "runId" from events_inbox where item_id = ${itemId} order by id`);
}

async function releaseStatus(id: string): Promise<Record<string, string>> {
  const rows = await query<{ country: string; status: string; reason: string | null }>(db.orm, sql`
    select country, status, takedown_reason as reason from releases where source = ${SOURCE} and id = ${id} order by country`);
  return Object.fromEntries(rows.map((r) => [r.country, r.status === 'live' ? 'live' : r.reason ?? 'taken_down']));
}

async function post(body: unknown, endpoint: 'standard' | 'enhanced' = 'standard') {
  const res = await postEvent(rx.url(endpoint), body, { token: await signToken(rx.keys) });
  return { status: res.status, body: JSON.parse(res.body) as { reasons?: string[]; items?: { warnings?: string[] }[] } };
}

describe('the receiver', () => {
  it.each([
    ['a NUL in the title', { title: 'Bad\u0000Title' }, /item 1: title: has a NUL character \(U\+0000\) at position 4/],
    ['a lone surrogate in a track title', { tracks: [{ ...releaseEvent(9701, 1).tracks[0]!, title: 'x\ud800' }] }, /item 1: tracks\.0\.title: has a lone UTF-16 surrogate \(U\+D800\)/],
    ['a NUL in a field name', { 'extra\u0000': 1 }, /item 1: extra\\u0000 \(the field name\): has a NUL character/],
    ['an impossible calendar day', { releaseDate: '2026-02-30' }, /item 1: releaseDate: "2026-02-30" is not a calendar date/],
  ])('refuses a release with %s: 400 naming the item and field, nothing of the request stored', async (_name, change, reason) => {
    const good = releaseEvent(9700, 1);
    const bad = { ...releaseEvent(9701, 1), ...change };
    const res = await post([good, bad]);
    expect(res.status).toBe(400);
    expect(res.body.reasons).toEqual([expect.stringMatching(reason)]);
    expect(await inbox('9700')).toEqual([]);
    expect(await inbox('9701')).toEqual([]);
  });

  it('refuses invalid JSON holding a raw NUL with 400, on record escaped (not a 503 the provider would retry)', async () => {
    const res = await postEvent(rx.url(), '[{"id": 9704, "version": 1, "title": "a\u0000b"}]', { token: await signToken(rx.keys) });
    expect(res.status).toBe(400);
    const [stored] = await query<{ body: string }>(db.orm, sql`select body from events_inbox where body like '%9704%'`);
    expect(stored?.body).toContain('"a\\u0000b"');
  });

  it('refuses an enhancement with a NUL in a tag', async () => {
    const res = await post([enhancedEvent(9702, 97021, 1, { mood: 'calm\u0000' })], 'enhanced');
    expect(res.status).toBe(400);
    expect(res.body.reasons).toEqual([expect.stringMatching(/item 0: mood: has a NUL character/)]);
  });

  it('stores a takedown with a NUL in an extra field, warns, and applies it by its key', async () => {
    expect((await post([releaseEvent(9703, 1)])).status).toBe(202);
    const res = await post([{ ...takedownEvent(9703, 2), note: 'gone\u0000' }]);
    expect(res.status).toBe(202);
    expect(res.body.items?.[0]?.warnings).toEqual([expect.stringMatching(/^note: has a NUL character/)]);
    await expect.poll(async () => (await inbox('9703')).map((e) => e.status), { timeout: 5000 }).toEqual(['applied', 'applied']);
    expect(await releaseStatus('9703')).toEqual({ WW: 'takedown_event', GB: 'takedown_event', IE: 'takedown_event' });
    const [, takedown] = await inbox('9703');
    const [warning] = await listQuarantine(db.orm, takedown!.runId);
    expect(warning).toMatchObject({ severity: 'warning', reason: 'unstorable_value' });
    expect(warning!.raw).toMatch(/note: has a NUL character .*the takedown applies by its key/);
  });
});

describe('a snapshot the database refuses at apply', () => {
  // Each track's duration fits an integer; their sum, the release's duration, does not: a rule the receiver does not check.
  const tooLong = (id: number) => [{ id: id * 10 + 1 }, { id: id * 10 + 2 }];
  function refusedSnapshot(id: number, version: number, streaming: boolean) {
    const item = releaseEvent(id, version, { tracks: tooLong(id), streaming: streaming ? undefined : [] });
    return { ...item, duration: undefined, tracks: item.tracks.map((t) => ({ ...t, duration: 2_000_000_000 })) };
  }
  const apply = (id: number) => applyInboxEvent(db, id, { source: SOURCE, enhancedWaitSeconds: 60, now: () => NOW });

  it('a snapshot that takes the release down applies by its keys alone, the refusal a warning on its run', async () => {
    expect(await apply(await storeTestEvent(db, releaseEvent(9710, 1)))).toBe('applied');
    expect(await apply(await storeTestEvent(db, refusedSnapshot(9710, 2, false)))).toBe('applied');
    expect(await releaseStatus('9710')).toEqual({ WW: 'no_deal', GB: 'no_deal', IE: 'no_deal' });
    const [, event] = await inbox('9710');
    const [warning] = await listQuarantine(db.orm, event!.runId);
    expect(warning).toMatchObject({ severity: 'warning', reason: 'unstorable_value' });
    expect(warning!.raw).toMatch(/refused by the database: value "4000000000" is out of range for type integer.*takedown applied by its keys alone/);
  });

  it('a snapshot that takes one territory down and leaves another live is a takedown too: applied by its keys and availability', async () => {
    expect(await apply(await storeTestEvent(db, releaseEvent(9712, 1)))).toBe('applied');
    const gbOnly = { ...refusedSnapshot(9712, 2, true), streamingAvailability: releaseEvent(9712, 2, { streaming: [{ territories: ['GB'] }] }).streamingAvailability };
    expect(await apply(await storeTestEvent(db, gbOnly))).toBe('applied');
    expect(await releaseStatus('9712')).toEqual({ WW: 'territory_not_licensed', GB: 'live', IE: 'territory_not_licensed' });
    const [, event] = await inbox('9712');
    const [warning] = await listQuarantine(db.orm, event!.runId);
    expect(warning).toMatchObject({ severity: 'warning', reason: 'unstorable_value' });
  });

  it('any other snapshot is rejected with the reason on its run, not retried, and the release keeps its state', async () => {
    expect(await apply(await storeTestEvent(db, releaseEvent(9711, 1)))).toBe('applied');
    const id = await storeTestEvent(db, refusedSnapshot(9711, 2, true));
    expect(await apply(id)).toBe('rejected');
    expect(await apply(id)).toBe('skipped');
    expect(await releaseStatus('9711')).toEqual({ WW: 'territory_not_licensed', GB: 'live', IE: 'live' });
    const [, event] = await inbox('9711');
    expect(event!.status).toBe('rejected');
    const [run] = await query<{ status: string; error: string }>(db.orm, sql`select status, error from feed_runs where id = ${event!.runId}`);
    expect(run).toMatchObject({ status: 'rejected', error: expect.stringMatching(/refused by the database: value "4000000000" is out of range for type integer/) });
  });

  it('in a round of several events, the refused ones are held back one at a time and the others apply', async () => {
    for (const id of [9713, 9714, 9715]) expect(await apply(await storeTestEvent(db, releaseEvent(id, 1)))).toBe('applied');
    const job = [
      await storeTestEvent(db, releaseEvent(9713, 2, { streaming: [{ territories: ['GB'] }] })),
      await storeTestEvent(db, refusedSnapshot(9714, 2, false)),
      await storeTestEvent(db, refusedSnapshot(9715, 2, true)),
    ];
    const raised: string[] = [];
    const alerter = { raise: async (a: { message: string }) => { raised.push(a.message); return true; }, resolve: async () => false };
    const outcomes = await applyInboxEvents(db, job, { source: SOURCE, enhancedWaitSeconds: 60, now: () => NOW, alerter });
    expect(job.map((id) => outcomes.get(id))).toEqual(['applied', 'applied', 'rejected']);
    expect(await releaseStatus('9713')).toEqual({ WW: 'territory_not_licensed', GB: 'live', IE: 'territory_not_licensed' });
    expect(await releaseStatus('9714')).toEqual({ WW: 'no_deal', GB: 'no_deal', IE: 'no_deal' });
    expect(await releaseStatus('9715')).toEqual({ WW: 'territory_not_licensed', GB: 'live', IE: 'live' });
    const [, takenDown] = await inbox('9714');
    expect(await listQuarantine(db.orm, takenDown!.runId)).toEqual([expect.objectContaining({ severity: 'warning', reason: 'unstorable_value' })]);
    expect(raised).toEqual([expect.stringMatching(new RegExp(`event ${job[2]} not applied \\(refused by the database: value "4000000000"`))]);
  });
});

/** Where an unstorable string goes in an item: a known field, a nested one, a field the provider added, or a field's name. */
const PLACES = {
  title: (item: Record<string, unknown>, text: string) => ({ ...item, title: text }),
  artistName: (item: Record<string, unknown>, text: string) => ({ ...item, artist: { id: 3, name: text } }),
  addedField: (item: Record<string, unknown>, text: string) => ({ ...item, futureField: { note: text } }),
  fieldName: (item: Record<string, unknown>, text: string) => ({ ...item, [text]: true }),
} as const;

const itemArbitrary = fc.record({
  takedown: fc.boolean(),
  unstorable: fc.option(fc.record({ place: fc.constantFrom(...(Object.keys(PLACES) as (keyof typeof PLACES)[])), text: unstorableText }), { freq: 2 }),
});

describe('property: the receiver refuses what the catalogue cannot store, except in a takedown', () => {
  it('a body is refused (400) exactly when a release item holds an unstorable string, naming each such item; else every item is stored', async () => {
    let next = 980_000;
    await fc.assert(fc.asyncProperty(fc.array(itemArbitrary, { minLength: 1, maxLength: 4 }), async (items) => {
      const ids = items.map(() => ++next);
      const body = items.map(({ takedown, unstorable }, i) => {
        const item: Record<string, unknown> = takedown ? takedownEvent(ids[i]!, 1) : releaseEvent(ids[i]!, 1);
        return unstorable ? PLACES[unstorable.place](item, unstorable.text) : item;
      });
      const refusedReleases = items.flatMap((item, i) => (!item.takedown && item.unstorable ? [i] : []));
      const res = await post(body);
      if (refusedReleases.length > 0) {
        expect(res.status).toBe(400);
        expect(res.body.reasons?.map((r) => Number(/item (\d+):/.exec(r)?.[1]))).toEqual(refusedReleases);
        for (const id of ids) expect(await inbox(String(id))).toEqual([]);
        return;
      }
      expect(res.status).toBe(202);
      expect(res.body.items?.map((item) => item.warnings !== undefined)).toEqual(items.map((item) => item.unstorable !== null));
      for (const id of ids) expect((await inbox(String(id))).length).toBe(1);
    }), { numRuns: 40 });
  }, 120_000);
});
