// The Catalogue Events receiver on the real PostgreSQL: token checks, bodies, the inbox.
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { generate } from 'selfsigned';
import { SignJWT, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { connect, databaseUrl, freshDatabase, testDatabaseName } from '../helpers/db.js';
import { releaseEvent, startTestReceiver, takedownEvent, validationEvents, type TestReceiver } from '../helpers/events.js';
import { generateProviderKeys, postEvent, signToken } from '../helpers/provider.js';
import { createMetricsRegistry } from '../../src/http/metrics.js';
import { testConfig } from '../helpers/pipeline.js';
import { problemRuns } from '../../src/db/sla.js';
import { tempDir } from '../helpers/feeds.js';

let db: Database;
let rx: TestReceiver;

beforeAll(async () => {
  db = await connect(await freshDatabase('test/events/receiver.test.ts'));
  rx = await startTestReceiver(db, { maxBodyBytes: 256 * 1024 });
});
afterAll(async () => {
  await rx?.close();
  await db?.close();
});

async function inbox(where = sql`true`) {
  return query<{ id: number; itemId: string | null; status: string; reason: string | null; conflicting: boolean; httpStatus: number; gzip: boolean; runId: number | null }>(db.orm, sql`
    select id::integer as id, item_id as "itemId", status, reason, conflicting, http_status as "httpStatus", gzip, run_id::integer as "runId"
    from events_inbox where ${where} order by id`);
}

describe('the token', () => {
  const body = () => [releaseEvent(9001, Date.now())];
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a valid RS256 token signed by the provider key', async () => {
    const res = await postEvent(rx.url(), body(), { token: await signToken(rx.keys) });
    expect(res.status).toBe(202);
  });

  it.each([
    ['expired', async () => signToken(rx.keys, { iat: now() - 900, exp: now() - 600 })],
    ['not yet valid', async () => signToken(rx.keys, { nbf: now() + 600 })],
    ['signed by another key', async () => signToken(await generateProviderKeys())],
    ['alg none', async () => `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify({ iat: now(), exp: now() + 300 }))}.`],
    ['HS256 with the public key as the secret', async () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m')
      .sign(new TextEncoder().encode(rx.keys.publicKeyPem))],
    ['missing', async () => undefined],
    ['signed to live ten years', async () => signToken(rx.keys, { iat: now(), exp: now() + 10 * 365 * 86_400 })],
    ['issued more than 5 minutes (plus leeway) ago', async () => signToken(rx.keys, { iat: now() - 400, exp: now() + 60 })],
    ['without iat', async () => signToken(rx.keys, { iat: null, exp: now() + 300 })],
  ])('refuses a token that is %s with 401 and stores nothing', async (_name, make) => {
    const before = (await inbox()).length;
    const token = await make();
    const res = await postEvent(rx.url(), body(), token === undefined ? {} : { token });
    expect(res.status).toBe(401);
    expect(res.body).not.toContain('eyJ');
    expect((await inbox()).length).toBe(before);
  });

  it('accepts a token within the leeway just after expiry', async () => {
    const res = await postEvent(rx.url(), body(), { token: await signToken(rx.keys, { iat: now() - 310, exp: now() - 10 }) });
    expect(res.status).toBe(202);
  });

  it('takes any key of a JWKS (rotation)', async () => {
    const old = await generateProviderKeys('old');
    const current = await generateProviderKeys('current');
    const jwks = await startTestReceiver(db, { keys: current, keyFileText: () => JSON.stringify({ keys: [old.publicJwk, current.publicJwk] }) });
    try {
      expect((await postEvent(jwks.url(), body(), { token: await signToken(old) })).status).toBe(202);
      expect((await postEvent(jwks.url(), body(), { token: await signToken(current) })).status).toBe(202);
      expect((await postEvent(jwks.url(), body(), { token: await signToken(await generateProviderKeys('current')) })).status).toBe(401);
    } finally {
      await jwks.close();
    }
  });

  it('takes any of several PEM keys', async () => {
    const other = await generateProviderKeys();
    const pems = await startTestReceiver(db, { keyFileText: (k) => `${other.publicKeyPem}\n${k.publicKeyPem}` });
    try {
      expect((await postEvent(pems.url(), body(), { token: await signToken(pems.keys) })).status).toBe(202);
      expect((await postEvent(pems.url(), body(), { token: await signToken(other) })).status).toBe(202);
    } finally {
      await pems.close();
    }
  });
});

describe('the body', () => {
  it('accepts gzip and stores the inflated body', async () => {
    const event = releaseEvent(9100, 1_700_000_000_000);
    const res = await postEvent(rx.url(), [event], { token: await signToken(rx.keys), gzip: true });
    expect(res.status).toBe(202);
    const [row] = await inbox(sql`item_id = '9100'`);
    expect(row).toMatchObject({ status: expect.stringMatching(/pending|applied/), gzip: true });
    const [stored] = await query<{ body: string }>(db.orm, sql`select body from events_inbox where id = ${row!.id}`);
    expect(JSON.parse(stored!.body)).toEqual(event);
  });

  it('refuses a body over the limit with 413', async () => {
    const event = { ...releaseEvent(9101, 1), padding: 'x'.repeat(300 * 1024) };
    expect((await postEvent(rx.url(), [event], { token: await signToken(rx.keys) })).status).toBe(413);
    expect(await inbox(sql`item_id = '9101'`)).toEqual([]);
  });

  it('refuses a gzip bomb with 413 without inflating it whole', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(256 * 1024);
    const res = await fetch(rx.url(), { method: 'POST', body: bomb, headers: { 'content-encoding': 'gzip', authorization: `Bearer ${await signToken(rx.keys)}` } });
    expect(res.status).toBe(413);
  });

  it('answers invalid JSON with 400 and records it with the reason', async () => {
    const res = await postEvent(rx.url(), '[{"id": 9102, "version": ', { token: await signToken(rx.keys) });
    expect(res.status).toBe(400);
    const rows = await inbox(sql`status = 'rejected' and reason like 'invalid JSON%'`);
    expect(rows.length).toBe(1);
    const [run] = await query<{ status: string; error: string }>(db.orm, sql`select status, error from feed_runs where id = ${rows[0]!.runId}`);
    expect(run).toMatchObject({ status: 'rejected', error: expect.stringContaining('invalid JSON') });
    // It alerts as a rejected run, and a later event that applies does not count as its fix.
    await postEvent(rx.url(), [releaseEvent(9102, 1)], { token: await signToken(rx.keys) });
    await rx.dispatcher.idle();
    const problems = await problemRuns(db.orm, new Date(Date.now() - 3600_000));
    expect(problems.find((p) => p.id === rows[0]!.runId)).toMatchObject({ status: 'rejected', reappliedBy: null });
  });

  it('answers a schema violation with 400 naming the field', async () => {
    const event = releaseEvent(9103, 5);
    (event.tracks[1] as Record<string, unknown>).id = 'not a number';
    const res = await postEvent(rx.url(), [event], { token: await signToken(rx.keys) });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toContain('item 0: tracks.1.id');
    expect((await inbox(sql`reason like '%tracks.1.id%'`)).length).toBe(1);
  });

  it('refuses a body that is not a JSON array of at least one item', async () => {
    for (const [body, reason] of [[releaseEvent(9104, 1), 'must be a JSON array'], [[], 'at least one event']] as const) {
      const res = await postEvent(rx.url(), body, { token: await signToken(rx.keys) });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error).toContain(reason);
    }
    expect(await inbox(sql`item_id = '9104'`)).toEqual([]);
  });

  it('stores each item of a body as its own event with its own run, in body order', async () => {
    const body = [releaseEvent(9110, 2), takedownEvent(9111, 5), releaseEvent(9110, 1, { title: 'older' })];
    const res = await postEvent(rx.url(), body, { token: await signToken(rx.keys) });
    expect(res.status).toBe(202);
    const answer = JSON.parse(res.body) as { items: { index: number; status: string; id: number }[] };
    expect(answer.items.map((i) => `${i.index}:${i.status}`)).toEqual(['0:stored', '1:stored', '2:stored']);
    const rows = await inbox(sql`item_id in ('9110', '9111')`);
    expect(rows.map((r) => r.id).sort()).toEqual(answer.items.map((i) => i.id).sort());
    expect(new Set(rows.map((r) => r.runId)).size).toBe(3);
    const stored = await query<{ itemId: string; version: string; body: string; takedown: boolean }>(db.orm, sql`
      select item_id as "itemId", version::text as version, body, takedown from events_inbox where item_id in ('9110', '9111') order by id`);
    expect(stored.map((r) => `${r.itemId}:${r.version}:${r.takedown}`)).toEqual(['9110:2:false', '9111:5:true', '9110:1:false']);
    // Each stored body is its own item, unknown fields kept.
    expect(JSON.parse(stored[0]!.body)).toEqual(body[0]);
    expect(JSON.parse(stored[0]!.body).futureField).toEqual({ kept: true });
    await rx.dispatcher.idle();
    const [release] = await query<{ title: string }>(db.orm, sql`select title from releases where id = '9110' and country = 'GB'`);
    expect(release!.title).toBe('Release 9110');
  });

  it('refuses a body with any invalid item whole, naming every item and field, and stores none of it', async () => {
    const broken = releaseEvent(9121, 1);
    (broken.tracks[0] as Record<string, unknown>).id = 'x';
    const body = [releaseEvent(9120, 1), broken, { id: 9122, takedown: true }];
    const res = await postEvent(rx.url(), body, { token: await signToken(rx.keys) });
    expect(res.status).toBe(400);
    const answer = JSON.parse(res.body) as { reasons: string[] };
    expect(answer.reasons).toEqual([expect.stringContaining('item 1: tracks.0.id'), expect.stringContaining('item 2: version')]);
    expect(await inbox(sql`item_id in ('9120', '9121', '9122')`)).toEqual([]);
    expect((await inbox(sql`status = 'rejected' and reason like '%item 1: tracks.0.id%' and reason like '%item 2: version%'`)).length).toBe(1);
  });

  it('accepts an item of only its id and version, and an unknown field anywhere', async () => {
    const res = await postEvent(rx.url(), [{ id: 9130, version: 1, somethingNew: [1, 2] }, { id: 9131, version: 1, takedown: true, reasonCode: 'X' }], { token: await signToken(rx.keys) });
    expect(res.status).toBe(202);
    expect((await inbox(sql`item_id in ('9130', '9131')`)).length).toBe(2);
  });

  it('acknowledges the three validation events (negative ids) and applies none; real events of their shapes apply', async () => {
    const tests = validationEvents({ maximum: -11, minimum: -12, takedown: -13 });
    for (const item of [tests.maximum, tests.minimum, tests.takedown]) {
      const res = await postEvent(rx.url(), [item], { token: await signToken(rx.keys) });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).status).toContain('test event');
    }
    expect((await inbox(sql`item_id in ('-11', '-12', '-13')`)).map((r) => `${r.itemId}:${r.status}:${r.runId}`)).toEqual(['-11:test:null', '-12:test:null', '-13:test:null']);
    const [releases] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from releases where id in ('-11', '-12', '-13')`);
    expect(releases!.n).toBe(0);
    const real = validationEvents({ maximum: 9151, minimum: 9152, takedown: 9153 });
    const res = await postEvent(rx.url(), [real.maximum, real.minimum, real.takedown], { token: await signToken(rx.keys) });
    expect(res.status).toBe(202);
    await rx.dispatcher.idle();
    expect((await inbox(sql`item_id in ('9151', '9152', '9153')`)).map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    const applied = await query<{ id: string; country: string; status: string; reason: string | null }>(db.orm, sql`
      select id, country, status, takedown_reason as reason from releases where id in ('9151', '9152', '9153') order by id, country`);
    expect(applied.map((r) => `${r.id}:${r.country}:${r.status === 'live' ? 'live' : r.reason}`)).toEqual([
      '9151:FR:no_streaming_use', '9151:GB:live', '9151:IE:live', '9151:WW:territory_not_licensed', '9152:WW:no_deal', '9153:WW:takedown_event',
    ]);
  });

  it('takes Enhanced Metadata items by track id', async () => {
    const res = await postEvent(rx.url('enhanced'), [{ version: 1, releaseId: 9140, trackId: 91401, bpm: 120 }, { version: 1, releaseId: 9140, trackId: 91402, bpm: 90 }], { token: await signToken(rx.keys) });
    expect(res.status).toBe(202);
    expect((await inbox(sql`item_id in ('91401', '91402') and endpoint = 'enhanced'`)).length).toBe(2);
    const refused = await postEvent(rx.url('enhanced'), [{ version: 1, releaseId: 9140, bpm: 1 }], { token: await signToken(rx.keys) });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body).error).toContain('item 0: trackId');
  });

  it('acknowledges a test event (negative id) and applies nothing', async () => {
    const res = await postEvent(rx.url(), [{ id: -1, version: 1, takedown: true }], { token: await signToken(rx.keys) });
    expect(res.status).toBe(200);
    expect(await inbox(sql`item_id = '-1'`)).toEqual([expect.objectContaining({ status: 'test', runId: null })]);
    const [releases] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from releases where id = '-1'`);
    expect(releases!.n).toBe(0);
  });
});

describe('the inbox', () => {
  it('stores the same event once', async () => {
    const event = takedownEvent(9200, 10);
    const first = await postEvent(rx.url(), [event], { token: await signToken(rx.keys) });
    const second = await postEvent(rx.url(), [event], { token: await signToken(rx.keys), gzip: true });
    expect([first.status, second.status]).toEqual([202, 200]);
    expect((await inbox(sql`item_id = '9200'`)).length).toBe(1);
  });

  it('stores and flags a different body under a version already stored', async () => {
    await postEvent(rx.url(), [releaseEvent(9201, 10, { title: 'One' })], { token: await signToken(rx.keys) });
    const res = await postEvent(rx.url(), [releaseEvent(9201, 10, { title: 'Two' })], { token: await signToken(rx.keys) });
    expect(res.status).toBe(202);
    expect((await inbox(sql`item_id = '9201'`)).map((r) => r.conflicting)).toEqual([false, true]);
  });

  it('answers 503 within the deadline when PostgreSQL does not answer', async () => {
    const blocked = await startTestReceiver(db, { storeTimeoutMs: 1500 });
    const locker = await connect(databaseUrl(testDatabaseName('test/events/receiver.test.ts')));
    try {
      // Hold the inbox locked: the store waits, as it would on a PostgreSQL that does not answer.
      await locker.orm.transaction(async (tx) => {
        await tx.execute(sql`lock table events_inbox in access exclusive mode`);
        const started = Date.now();
        const res = await postEvent(blocked.url(), [releaseEvent(9300, 1)], { token: await signToken(blocked.keys) });
        expect(res.status).toBe(503);
        expect(Date.now() - started).toBeLessThan(5000);
      });
    } finally {
      await locker.close();
      await blocked.close();
    }
  });
});

describe('/metrics', () => {
  it('counts events by outcome and status, with the acknowledgement latency and apply lag', async () => {
    // The store held back by the lock above commits once the lock goes: let it land first.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await rx.dispatcher.idle();
    const registry = createMetricsRegistry({ db, sla: testConfig().sla, queues: [] });
    const text = await registry.metrics();
    const [counts] = await query<{ rejected: number; acked: number }>(db.orm, sql`
      select count(*) filter (where http_status = 400)::integer as rejected, count(*) filter (where ack_ms is not null)::integer as acked from events_inbox`);
    expect(text).toContain(`feedline_events_received_total{outcome="rejected",http_status="400"} ${counts!.rejected}`);
    expect(text).toContain(`feedline_events_ack_seconds_count ${counts!.acked}`);
    expect(text).toMatch(/feedline_events_ack_seconds_bucket\{le="0.25"\} \d+/);
    expect(text).toMatch(/feedline_events_apply_lag_seconds \d/);
  });
});

describe('TLS', () => {
  it('speaks HTTPS itself when given a certificate and key', async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec', algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const dir = tempDir('feedline-events-tls-');
    writeFileSync(path.join(dir, 'cert.pem'), pems.cert);
    writeFileSync(path.join(dir, 'key.pem'), pems.private);
    const secure = await startTestReceiver(db, { tls: { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') } });
    try {
      const body = JSON.stringify([releaseEvent(9400, 1)]);
      const token = await signToken(secure.keys);
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(secure.url(), { method: 'POST', ca: pems.cert, headers: { authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(status).toBe(202);
      await expect(fetch(secure.url().replace('https:', 'http:'), { method: 'POST', body })).rejects.toThrow();
    } finally {
      await secure.close();
    }
  });
});
