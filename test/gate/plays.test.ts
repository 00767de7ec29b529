// The play log: stored with when it was received, forwarded per (country, user) to the
// provider stand-in (which checks the OAuth signature), retried after a 500, a refused play
// kept with its reason and alerted once, and the play report.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../../src/db/client.js';
import { createPlayForwarder, type PlayForwarder } from '../../src/gate/forward.js';
import { playsRoute } from '../../src/gate/plays.js';
import type { Gate } from '../../src/gate/gate.js';
import { createAlerter } from '../../src/sla/alerts.js';
import { feedline } from '../helpers/cli.js';
import { startFeedServer, type FeedServer } from '../helpers/feed-server.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';
import { openWorld, PLAYER_TOKEN, type World } from './world.js';

const CREDS = { consumerKey: 'test-consumer-key', consumerSecret: 'test-consumer-secret' };
let world: World;
let provider: FeedServer;
let gate: Gate;
let forwarder: PlayForwarder;
const DAY = 86_400_000;
const recently = new Date(Date.now() - DAY).toISOString();
const longAgo = new Date(Date.now() - 70 * DAY).toISOString();

async function postPlays(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${gate.port}/v1/plays`, {
    method: 'POST', headers: { authorization: `Bearer ${PLAYER_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface PlayRow { id: number; user_id: string; track_id: string; received_at: Date | null; forwarded_at: Date | null; rejected_reason: string | null; attempts: number }
const rows = () => query<PlayRow>(world.db.orm, sql`select id, user_id, track_id, received_at, forwarded_at, rejected_reason, attempts from plays order by id`);

beforeAll(async () => {
  provider = await startFeedServer(CREDS);
  world = await openWorld('test/gate/plays.test.ts', {
    redis: false,
    env: { FEEDLINE_PROVIDER_BASE_URL: provider.url, FEEDLINE_OAUTH_CONSUMER_KEY: CREDS.consumerKey, FEEDLINE_OAUTH_CONSUMER_SECRET: CREDS.consumerSecret, FEEDLINE_CA_FILE: provider.caFile! },
  });
  gate = await world.startGate({ routes: [playsRoute(world.db, '7digital')] });
  const alerter = createAlerter({ db: world.db, logger: silentLogger, webhooks: { urls: [], timeoutMs: 1000 } });
  forwarder = createPlayForwarder({ config: world.config, db: world.db, logger: silentLogger, alerter })!;
});

afterAll(async () => {
  await forwarder?.stop();
  await world?.close();
  await provider?.close();
});

describe('POST /v1/plays', () => {
  it('refuses a batch with an invalid play whole, naming each problem', async () => {
    const answer = await postPlays({ userId: 'u-1', plays: [
      { trackId: '1', releaseId: '9', country: 'GB', dateTimePlayed: recently, totalTimePlayed: 30, endReason: 'naturalEnd' },
      { trackId: '2', releaseId: '9', country: 'GB', dateTimePlayed: 'yesterday', totalTimePlayed: -1, endReason: 'bored' },
    ] });
    expect(answer.status).toBe(400);
    expect((answer.body.problems as { at: string }[]).map((p) => p.at).sort()).toEqual(['plays.1.dateTimePlayed', 'plays.1.endReason', 'plays.1.totalTimePlayed']);
    expect(await rows()).toEqual([]);
  });
  it('stores each play with when it was received', async () => {
    const a = await postPlays({ userId: 'u-1', plays: [
      { trackId: '4001', releaseId: '88', country: 'GB', dateTimePlayed: recently, totalTimePlayed: 200, endReason: 'naturalEnd' },
      { trackId: '4002', releaseId: '88', country: 'GB', dateTimePlayed: recently, totalTimePlayed: 0, endReason: 'other' },
      { trackId: '4003', releaseId: '88', country: 'GB', dateTimePlayed: longAgo, totalTimePlayed: 12, endReason: 'userSkipped' },
    ] });
    expect(a).toMatchObject({ status: 202, body: { logged: 3 } });
    const b = await postPlays({ userId: 'u-2', plays: [{ trackId: 4001, releaseId: 88, country: 'US', dateTimePlayed: recently, totalTimePlayed: 100, endReason: 'naturalEnd' }] });
    expect(b.status).toBe(202);
    const stored = await rows();
    expect(stored).toHaveLength(4);
    for (const row of stored) {
      expect(row.received_at).not.toBeNull();
      expect(row.forwarded_at).toBeNull();
    }
  });
});

describe('forwarding to the provider', () => {
  it('retries after a 500, then sends each (country, user) batch signed; a refused play is kept with its reason and alerted once', async () => {
    provider.failLog([500]);
    await forwarder.runOnce();
    const afterFailure = await rows();
    expect(afterFailure.filter((r) => r.forwarded_at !== null)).toHaveLength(1);
    expect(afterFailure.filter((r) => r.attempts === 1 && r.forwarded_at === null)).toHaveLength(3);
    // Backed off: nothing is due at once.
    expect(await forwarder.runOnce()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await forwarder.runOnce()).toBe(3);

    const logged = provider.loggedPlays();
    expect(logged.map((l) => `${l.country}/${l.userId}/${l.plays.length}`).sort()).toEqual(['GB/u-1/3', 'US/u-2/1']);
    expect(logged.find((l) => l.userId === 'u-1')!.plays.map((p) => p.totalTimePlayed)).toEqual([200, 0, 12]);
    const final = await rows();
    expect(final.filter((r) => r.forwarded_at !== null).map((r) => r.track_id).sort()).toEqual(['4001', '4001', '4002']);
    const refused = final.find((r) => r.track_id === '4003')!;
    expect(refused.forwarded_at).toBeNull();
    expect(refused.rejected_reason).toBe('dateTimePlayed is more than 61 days ago');
    const alerts = await query<{ kind: string }>(world.db.orm, sql`select kind from alert_events where kind = 'play_rejected'`);
    expect(alerts).toHaveLength(1);
    // Nothing is sent twice, and the refused play is not retried.
    expect(await forwarder.runOnce()).toBe(0);
    expect(provider.loggedPlays()).toHaveLength(2);
  });
  it('plays report: per track and country, with logged and forwarded times', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 80 * DAY).toISOString().slice(0, 10);
    const json = await feedline(['plays', 'report', '--from', from, '--to', day, '--format', 'json'], { DATABASE_URL: world.url, FEEDLINE_HOME: '/tmp' });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { tracks: Record<string, unknown>[] };
    expect(report.tracks.map((t) => `${t.trackId}/${t.country}/${t.plays}/${t.forwarded}/${t.rejected}`)).toEqual(['4001/GB/1/1/0', '4001/US/1/1/0', '4002/GB/1/1/0', '4003/GB/1/0/1']);
    expect(report.tracks[0]).toMatchObject({ firstLoggedAt: expect.any(String), lastForwardedAt: expect.any(String) });
    const csv = await feedline(['plays', 'report', '--from', day, '--to', day], { DATABASE_URL: world.url, FEEDLINE_HOME: '/tmp' });
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\n')[0]).toBe('source,trackId,country,plays,forwarded,rejected,pending,firstPlayedAt,lastPlayedAt,firstLoggedAt,lastLoggedAt,lastForwardedAt');
  });
  it('the stand-in refuses a wrong signature with 401, which is retried, never taken as a refused play', async () => {
    expect((await postPlays({ userId: 'u-3', plays: [{ trackId: '4005', releaseId: '88', country: 'GB', dateTimePlayed: recently, totalTimePlayed: 5, endReason: 'userSkipped' }] })).status).toBe(202);
    const wrong = testConfig({ DATABASE_URL: world.url, FEEDLINE_PROVIDER_BASE_URL: provider.url, FEEDLINE_OAUTH_CONSUMER_KEY: CREDS.consumerKey, FEEDLINE_OAUTH_CONSUMER_SECRET: 'not-the-secret', FEEDLINE_CA_FILE: provider.caFile! });
    const alerter = createAlerter({ db: world.db, logger: silentLogger, webhooks: { urls: [], timeoutMs: 1000 } });
    const impostor = createPlayForwarder({ config: wrong, db: world.db, logger: silentLogger, alerter })!;
    expect(await impostor.runOnce()).toBe(1);
    await impostor.stop();
    const [row] = await query<{ forwarded_at: Date | null; rejected_at: Date | null; last_error: string }>(world.db.orm, sql`select forwarded_at, rejected_at, last_error from plays where user_id = 'u-3'`);
    expect(row).toMatchObject({ forwarded_at: null, rejected_at: null, last_error: expect.stringContaining('HTTP 401') });
    expect(provider.loggedPlays().filter((l) => l.userId === 'u-3')).toEqual([]);
  });
});
