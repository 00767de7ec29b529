// The gate end to end in this process: playback decisions and signed URLs, authorization
// (200, 403, 410, 409), single use across racing gates (Redis and PostgreSQL nonce stores),
// revocation by a takedown applied through a feed, callers and rate limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCsv, csvTrack } from './catalogue.js';
import { sql } from 'drizzle-orm';
import { query } from '../../src/db/client.js';
import { askAuthorize, askPlayback, openWorld, waitFor, type World } from './world.js';

let world: World;

beforeAll(async () => {
  world = await openWorld('test/gate/authorize.test.ts', { redis: true });
  await applyCsv(world.db, world.config, 'track', 'GB', '20261120', [3001, 3002, 3003, 3004, 3005].map((id) => csvTrack({ id })));
  await applyCsv(world.db, world.config, 'track', 'GB', '20261121', [csvTrack({ id: 3002 }, 'D')]);
});

afterAll(async () => {
  await world?.close();
});

const play = (trackId: string, country = 'GB') => ({ userId: 'user-1', trackId, country });

describe('POST /v1/playback', () => {
  it('answers a signed URL for a playable track, 403 with the reason otherwise', async () => {
    const gate = await world.startGate();
    const ok = await askPlayback(gate, play('3001'));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ keyId: 'k1', streamUrl: expect.stringMatching(/^http:\/\/media\.example\.test\/media\/7digital\/3001\?token=/) });
    expect(Date.parse(ok.body.expiresAt as string) - Date.now()).toBeGreaterThan(3500_000);
    expect(await askPlayback(gate, play('3002'))).toEqual({ status: 403, body: { reason: 'taken_down' } });
    expect(await askPlayback(gate, play('3001', 'US'))).toEqual({ status: 403, body: { reason: 'not_licensed_in_territory' } });
    expect(await askPlayback(gate, play('99999'))).toEqual({ status: 403, body: { reason: 'unknown_track' } });
    expect(await askPlayback(gate, play('3001', 'XX'))).toEqual({ status: 403, body: { reason: 'unknown_country' } });
    expect((await askPlayback(gate, { trackId: '3001', country: 'GB' })).status).toBe(400);
  });
  it('requires a configured caller token', async () => {
    const [gate] = world.gates;
    expect((await askPlayback(gate!, play('3001'), 'not-a-token-at-all')).status).toBe(401);
    const res = await fetch(`http://127.0.0.1:${gate!.port}/v1/playback`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
  });
});

describe('GET /v1/stream/authorize', () => {
  it('200 the first time, 409 the second', async () => {
    const [gate] = world.gates;
    const { body } = await askPlayback(gate!, play('3001'));
    expect((await askAuthorize(gate!, body.streamUrl as string)).status).toBe(200);
    expect(await askAuthorize(gate!, body.streamUrl as string)).toEqual({ status: 409, body: { reason: 'replayed' } });
  });
  it('403 for a tampered URL, 410 once expired (a gate whose clock has moved on)', async () => {
    const [gate] = world.gates;
    const { body } = await askPlayback(gate!, play('3001'));
    const url = body.streamUrl as string;
    expect(await askAuthorize(gate!, url.replace('/3001?', '/3003?'))).toEqual({ status: 403, body: { reason: 'bad_signature' } });
    const later = await world.startGate({ now: () => Date.now() + 3600_000 + 31_000 });
    expect(await askAuthorize(later, url)).toEqual({ status: 410, body: { reason: 'expired' } });
    const inSkew = await world.startGate({ now: () => Date.now() + 3600_000 + 20_000 });
    expect((await askAuthorize(inSkew, url)).status).toBe(200);
  });

  for (const nonces of ['redis', 'postgres'] as const) {
    it(`two gates racing on one URL (${nonces}): exactly one 200, the rest 409`, async () => {
      const a = await world.startGate({ nonces });
      const b = await world.startGate({ nonces });
      for (let round = 0; round < 5; round++) {
        const { body } = await askPlayback(a, play('3001'));
        const answers = await Promise.all([a, b, a, b, a, b].map((gate) => askAuthorize(gate, body.streamUrl as string)));
        expect(answers.map((x) => x.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
      }
    });
  }

  it('a takedown applied by a feed after the URL was issued revokes it on every gate within 2 s', async () => {
    const a = world.gates[0]!;
    const b = await world.startGate();
    const urls = await Promise.all([a, a, b].map(async (gate) => (await askPlayback(gate, play('3004'))).body.streamUrl as string));
    // Warm both views, so the refusal must come from an invalidation, not a first read.
    expect((await askAuthorize(a, urls[0]!)).status).toBe(200);
    expect((await askPlayback(b, play('3004'))).status).toBe(200);
    await applyCsv(world.db, world.config, 'track', 'GB', '20261122', [csvTrack({ id: 3004 }, 'D')]);
    const appliedAt = Date.now();
    await waitFor(async () => (await askAuthorize(a, urls[1]!)).status === 403, 2_000);
    await waitFor(async () => (await askAuthorize(b, urls[2]!)).status === 403, 2_000);
    expect(Date.now() - appliedAt).toBeLessThan(2_000);
    expect(await askAuthorize(b, urls[2]!)).toEqual({ status: 403, body: { reason: 'taken_down' } });
    expect(await askPlayback(a, play('3004'))).toEqual({ status: 403, body: { reason: 'taken_down' } });
  });

  it('a gate whose notification connection is killed still refuses a takedown within 2 s', async () => {
    const gate = await world.startGate();
    expect((await askPlayback(gate, play('3005'))).status).toBe(200);
    const killed = await query<{ pid: number }>(world.db.orm, sql`select pid from pg_stat_activity
      where datname = current_database() and query ilike 'listen%' and pg_terminate_backend(pid)`);
    expect(killed.length).toBeGreaterThan(0);
    await applyCsv(world.db, world.config, 'track', 'GB', '20261123', [csvTrack({ id: 3005 }, 'D')]);
    const appliedAt = Date.now();
    await waitFor(async () => (await askPlayback(gate, play('3005'))).status === 403, 2_000);
    expect(Date.now() - appliedAt).toBeLessThan(2_000);
  });
});

describe('rate limit', () => {
  it('429 once a caller has used its requests for the second, other callers unaffected', async () => {
    const gate = await world.startGate({ env: { FEEDLINE_GATE_RATE_LIMIT: '5' } });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await askPlayback(gate, play('3001'))).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const other = await askAuthorize(gate, 'http://media.example.test/media/7digital/3001?token=x.y.z');
    expect(other.status).toBe(403);
  });
});
