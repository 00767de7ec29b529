// PostgreSQL goes away during a burst: the receiver answers 503 at once (never past the
// provider's 10 s), the provider's retries succeed once it is back, and nothing acknowledged
// is lost. On a throwaway PostgreSQL server of this test's own.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { startEventSweep } from '../../src/events/dispatch.js';
import { createLogger } from '../../src/log.js';
import { connect } from '../helpers/db.js';
import { catalogueMismatches, generateBackfill } from '../helpers/event-backfill.js';
import { releaseEvent, startTestReceiver, type TestReceiver } from '../helpers/events.js';
import { deliver, postEvent, signToken } from '../helpers/provider.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../helpers/throwaway-pg.js';

let pg: ThrowawayPostgres;
let db: Database;
let rx: TestReceiver;

beforeAll(async () => {
  pg = startThrowawayPostgres(17240 + (process.pid % 10));
  db = await connect(pg.url);
  await migrate(db);
  rx = await startTestReceiver(db, { storeTimeoutMs: 3000 });
}, 120_000);
afterAll(async () => {
  await rx?.close();
  await db?.close();
  pg?.destroy();
});

describe('PostgreSQL unreachable', () => {
  it('answers 503 fast during the outage, then everything acknowledged is stored and applied', async () => {
    const backfill = generateBackfill({ releases: 40, versions: 3, firstId: 900_000, seed: 3 });
    const sweep = startEventSweep(db, rx.dispatcher, { intervalMs: 500, olderThanSeconds: 0 }, createLogger({ level: 'silent' }));
    try {
      const delivery = deliver(backfill.events.map((item) => ({ url: rx.url(), body: [item] })), { keys: rx.keys, concurrency: 4, shuffle: true, retries: 6, retryDelayMs: 500 });
      await new Promise((r) => setTimeout(r, 300));
      pg.stop();
      const started = Date.now();
      const during = await postEvent(rx.url(), [releaseEvent(999_999, 1)], { token: await signToken(rx.keys) });
      expect(during.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(10_000);
      await new Promise((r) => setTimeout(r, 2000));
      pg.start();
      const report = await delivery;
      expect(report.statuses[503] ?? 0).toBeGreaterThan(0);
      expect(report.parked).toEqual([]);
      expect(report.acknowledged.length).toBe(backfill.events.length);
      const stored = async () => (await query<{ n: number; open: number }>(db.orm, sql`
        select count(*)::integer as n, count(*) filter (where status in ('pending', 'waiting'))::integer as open
        from events_inbox where item_id::bigint between 900000 and 909999`))[0]!;
      expect((await stored()).n).toBe(backfill.events.length);
      for (let i = 0; i < 120 && (await stored()).open > 0; i++) await new Promise((r) => setTimeout(r, 250));
      expect((await stored()).open).toBe(0);
      expect(await catalogueMismatches(db, backfill)).toEqual([]);
    } finally {
      await sweep.stop();
    }
  }, 180_000);
});
