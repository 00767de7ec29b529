// `feedline status`: per-feed state and the exit codes monitoring relies on
// (0 current, 6 behind, 7 failing or missing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { createScheduler } from '../../src/feeds/scheduler.js';
import { feedStatuses } from '../../src/feeds/status.js';
import { inlineSink } from '../../src/queue/sink.js';
import { feedline } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { startFeedServer, type FeedServer } from '../helpers/feed-server.js';
import { trackRecord } from '../helpers/feeds.js';
import { silentLogger } from '../helpers/pipeline.js';
import { CREDS, clock, providerConfig, recordingAlerter, updatesBody } from '../helpers/scheduling.js';

let db: Database;
let url: string;
let server: FeedServer;

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
  server = await startFeedServer(CREDS);
});
afterAll(async () => {
  await server.close();
  await db.close();
});

describe('feedline status', () => {
  it('exits 0 when current, 6 when behind, 7 when a feed is missing or failing', async () => {
    const env = { FEEDLINE_COUNTRIES: 'GB,US', FEEDLINE_START_DATE: '2026-11-16', DATABASE_URL: url };
    const config = providerConfig(server, env);
    const cliEnv = { ...env, FEEDLINE_HOME: config.home, FEEDLINE_FEEDS: 'track/updates', FEEDLINE_PUBLICATION_HOUR: '6', FEEDLINE_GIVE_UP_HOURS: '6' };
    for (const d of ['2026-11-16', '2026-11-17']) server.publish({ entity: 'track', kind: 'updates', country: 'GB' }, d, updatesBody([trackRecord(d === '2026-11-16' ? 1 : 2, {}, 'I')]));
    server.publish({ entity: 'track', kind: 'updates', country: 'US' }, '2026-11-16', updatesBody([trackRecord(3, {}, 'I')]));
    const at = clock('2026-11-17T08:00:00Z');
    const scheduler = createScheduler({ config, db, sink: inlineSink(db), logger: silentLogger, alerter: recordingAlerter(), now: at.now }, { prefix: 'unused' });
    await scheduler.tick();
    await scheduler.idle();

    // US 17th is not published yet, but still inside its give-up window: current.
    const report = await feedStatuses({ config, db }, at.now());
    expect(report.feeds.map((f) => [f.country, f.state, f.lastAppliedDate, f.lagDays, f.pending])).toEqual([
      ['GB', 'current', '2026-11-17', 0, []],
      ['US', 'current', '2026-11-16', 1, ['2026-11-17']],
    ]);
    expect(report.feeds[0]!.nextDue).toBe('2026-11-18');
    const current = await feedline(['status', '--json', '--at', '2026-11-17T08:00:00Z'], cliEnv);
    expect(current.code).toBe(0);
    expect(JSON.parse(current.stdout)).toMatchObject({ state: 'current', exitCode: 0 });

    // Past the give-up time, before the scheduler has given up: behind.
    const behind = await feedline(['status', '--json', '--at', '2026-11-17T12:30:00Z'], cliEnv);
    expect(behind.code).toBe(6);
    expect(JSON.parse(behind.stdout).feeds[1]).toMatchObject({ country: 'US', state: 'behind' });

    at.set('2026-11-17T12:30:00Z');
    await scheduler.tick();
    await scheduler.idle();
    const missing = await feedline(['status', '--at', '2026-11-17T12:30:00Z'], cliEnv);
    expect(missing.code).toBe(7);
    expect(missing.stdout).toMatch(/US\s+missing/);
    await scheduler.stop(1000);
  });

  it('reports a failing feed (credentials refused) with its error', async () => {
    const config = providerConfig(server, { FEEDLINE_COUNTRIES: 'DE', FEEDLINE_START_DATE: '2026-11-16', DATABASE_URL: url, FEEDLINE_OAUTH_CONSUMER_SECRET: 'wrong' });
    server.publish({ entity: 'track', kind: 'updates', country: 'DE' }, '2026-11-16', updatesBody([trackRecord(4, {}, 'I')]));
    const at = clock('2026-11-16T07:00:00Z');
    const scheduler = createScheduler({ config, db, sink: inlineSink(db), logger: silentLogger, alerter: recordingAlerter(), now: at.now }, { prefix: 'unused' });
    await scheduler.tick();
    await scheduler.idle();
    const report = await feedStatuses({ config, db }, at.now());
    expect(report.exitCode).toBe(7);
    expect(report.feeds[0]).toMatchObject({ state: 'failing', failing: { date: '2026-11-16', httpStatus: 401 } });
    await scheduler.stop(1000);
  });
});
