// Deal windows in the future: a takedown scheduled for a deal's end, applied when its time
// comes (injected clock), superseded by a newer message, and deals that meet without a gap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Config } from '../../src/config/schema.js';
import { query, type Database } from '../../src/db/client.js';
import { applyDueScheduledChanges, pendingSchedule } from '../../src/db/ddex.js';
import { auditReasons, fixture, ingestDdex, SENDER, territories, variant, openDdexWorld } from '../helpers/ddex.js';

const NOW = new Date('2026-03-01T00:00:00Z');
const END = '2099-07-01T00:00:00.000Z';
let db: Database;
let config: Config;

beforeAll(async () => ({ db, config } = await openDdexWorld(import.meta.filename)));
afterAll(async () => db.close());

function when(rows: { dueAt: string | Date; country: string; targetStatus: string; reason: string }[]) {
  return rows.map((r) => `${new Date(r.dueAt).toISOString()} ${r.country} ${r.targetStatus} ${r.reason}`);
}

describe('scheduled DDEX changes', () => {
  it('schedules the takedown of a deal ending in the future, for the release and its track', async () => {
    const outcome = await ingestDdex(db, config, fixture('ern382-deal-future-end.xml'), { now: NOW });
    expect(outcome.run.meta).toMatchObject({ scheduled: 2 });
    expect(await territories(db, 'release', '5012345678931')).toEqual({ WW: 'live' });
    expect(when(await pendingSchedule(db.orm, 'release', SENDER, '5012345678931'))).toEqual([`${END} WW taken_down deal_expired`]);
    expect(when(await pendingSchedule(db.orm, 'track', SENDER, 'GBNWR2600301'))).toEqual([`${END} WW taken_down deal_expired`]);
  });

  it('applies nothing before its time, and the takedown at its time, with the due time as its SLA start', async () => {
    expect(await applyDueScheduledChanges(db.orm, new Date('2099-06-30T23:59:59Z'))).toEqual({ applied: 0, takenDown: 0, superseded: 0 });
    expect(await applyDueScheduledChanges(db.orm, new Date('2099-07-01T00:00:01Z'))).toEqual({ applied: 2, takenDown: 2, superseded: 0 });
    expect(await territories(db, 'release', '5012345678931')).toEqual({ WW: 'deal_expired' });
    expect(await territories(db, 'track', 'GBNWR2600301')).toEqual({ WW: 'deal_expired' });
    expect(await auditReasons(db, '5012345678931')).toEqual(['release WW deal_expired']);
    const [audit] = await query<{ publishedAt: Date }>(db.orm, sql`select published_at as "publishedAt" from takedown_audit where item_id = '5012345678931'`);
    expect(new Date(audit!.publishedAt).toISOString()).toBe(END);
    expect(await applyDueScheduledChanges(db.orm, new Date('2099-07-02T00:00:00Z'))).toEqual({ applied: 0, takenDown: 0, superseded: 0 });
  });

  it('a newer message supersedes the pending change; a change whose item moved on is not applied', async () => {
    const first = variant('ern382-deal-future-end.xml', { '5012345678931': '5012345678832', '2026-01-21T09:00:00Z': '2026-02-01T09:00:00Z' });
    await ingestDdex(db, config, first, { now: NOW });
    expect(when(await pendingSchedule(db.orm, 'release', SENDER, '5012345678832'))).toEqual([`${END} WW taken_down deal_expired`]);
    // The same deal, now ending in 2098: the 2099 change is superseded.
    const newer = variant('ern382-deal-future-end.xml', { '5012345678931': '5012345678832', '2026-01-21T09:00:00Z': '2026-02-02T09:00:00Z', '2099-06-30': '2098-06-30' });
    await ingestDdex(db, config, newer, { now: NOW });
    expect(when(await pendingSchedule(db.orm, 'release', SENDER, '5012345678832'))).toEqual(['2098-07-01T00:00:00.000Z WW taken_down deal_expired']);
    // A message that leaves the version on the row but is stale itself changes nothing.
    await ingestDdex(db, config, first, { now: NOW, force: true });
    expect(when(await pendingSchedule(db.orm, 'release', SENDER, '5012345678832'))).toEqual(['2098-07-01T00:00:00.000Z WW taken_down deal_expired']);
    // A scheduled row whose item has since been rewritten by a newer version is superseded, not applied.
    await db.orm.execute(sql`update releases set change_version = change_version + 1 where id = '5012345678832'`);
    const result = await applyDueScheduledChanges(db.orm, new Date('2098-07-01T00:00:00Z'));
    expect(result).toMatchObject({ superseded: 1 });
    expect(await territories(db, 'release', '5012345678832')).toEqual({ WW: 'live' });
  });

  it('deals that end and start on consecutive dates leave no gap: only the final end is scheduled', async () => {
    await ingestDdex(db, config, fixture('ern382-consecutive-deals.xml'), { now: NOW });
    expect(await territories(db, 'release', '5012345678818')).toEqual({ WW: 'territory_not_licensed', GB: 'live' });
    expect(when(await pendingSchedule(db.orm, 'release', SENDER, '5012345678818'))).toEqual(['2032-01-01T00:00:00.000Z GB taken_down deal_expired']);
  });

  it('ERN 4.3: a deal starting later schedules the item to go live then', async () => {
    await ingestDdex(db, config, fixture('ern43-consecutive-deals.xml'), { now: NOW });
    expect(await territories(db, 'release', '5012345678993')).toEqual({ WW: 'territory_not_licensed', AT: 'live', CH: 'deal_not_started', DE: 'live' });
    expect(when(await pendingSchedule(db.orm, 'release', SENDER, '5012345678993'))).toEqual([
      '2029-12-31T23:00:00.000Z CH live deal_started',
      '2031-01-01T00:00:00.000Z CH taken_down deal_expired',
    ]);
    await applyDueScheduledChanges(db.orm, new Date('2030-01-01T00:00:00Z'));
    expect(await territories(db, 'release', '5012345678993')).toEqual({ WW: 'territory_not_licensed', AT: 'live', CH: 'live', DE: 'live' });
  });

  it('judges deals by the database clock when none is injected', async () => {
    const expired = variant('ern382-deal-future-end.xml', { '5012345678931': '5012345678849', '2026-01-21T09:00:00Z': '2026-02-03T09:00:00Z', '2025-01-01': '2019-01-01', '2099-06-30': '2020-06-30' });
    await ingestDdex(db, config, expired);
    expect(await territories(db, 'release', '5012345678849')).toEqual({ WW: 'deal_expired' });
    // Due changes of a past date are applied by the database clock too.
    expect(await applyDueScheduledChanges(db.orm)).toMatchObject({ applied: 0 });
  });
});
