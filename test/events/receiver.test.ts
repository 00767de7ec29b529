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
import { releaseEvent, startTestReceiver, takedownEvent, type TestReceiver } from '../helpers/events.js';
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
  const body = () => releaseEvent(9001, Date.now());
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
    const res = await postEvent(rx.url(), event, { token: await signToken(rx.keys), gzip: true });
    expect(res.status).toBe(202);
    const [row] = await inbox(sql`item_id = '9100'`);
    expect(row).toMatchObject({ status: expect.stringMatching(/pending|applied/), gzip: true });
    const [stored] = await query<{ body: string }>(db.orm, sql`select body from events_inbox where id = ${row!.id}`);
    expect(JSON.parse(stored!.body)).toEqual(event);
  });

  it('refuses a body over the limit with 413', async () => {
    const event = { ...releaseEvent(9101, 1), padding: 'x'.repeat(300 * 1024) };
    expect((await postEvent(rx.url(), event, { token: await signToken(rx.keys) })).status).toBe(413);
    expect(await inbox(sql`item_id = '9101'`)).toEqual([]);
  });

  it('refuses a gzip bomb with 413 without inflating it whole', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(256 * 1024);
    const res = await fetch(rx.url(), { method: 'POST', body: bomb, headers: { 'content-encoding': 'gzip', authorization: `Bearer ${await signToken(rx.keys)}` } });
    expect(res.status).toBe(413);
  });

  it('answers invalid JSON with 400 and records it with the reason', async () => {
    const res = await postEvent(rx.url(), '{"id": 9102, "version": ', { token: await signToken(rx.keys) });
    expect(res.status).toBe(400);
    const rows = await inbox(sql`status = 'rejected' and reason like 'invalid JSON%'`);
    expect(rows.length).toBe(1);
    const [run] = await query<{ status: string; error: string }>(db.orm, sql`select status, error from feed_runs where id = ${rows[0]!.runId}`);
    expect(run).toMatchObject({ status: 'rejected', error: expect.stringContaining('invalid JSON') });
    // It alerts as a rejected run, and a later event that applies does not count as its fix.
    await postEvent(rx.url(), releaseEvent(9102, 1), { token: await signToken(rx.keys) });
    await rx.dispatcher.idle();
    const problems = await problemRuns(db.orm, new Date(Date.now() - 3600_000));
    expect(problems.find((p) => p.id === rows[0]!.runId)).toMatchObject({ status: 'rejected', reappliedBy: null });
  });

  it('answers a schema violation with 400 naming the field', async () => {
    const event = releaseEvent(9103, 5);
    (event.tracks[1] as Record<string, unknown>).id = 'not a number';
    const res = await postEvent(rx.url(), event, { token: await signToken(rx.keys) });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toContain('tracks.1.id');
    expect((await inbox(sql`reason like '%tracks.1.id%'`)).length).toBe(1);
  });

  it('acknowledges a test event (negative id) and applies nothing', async () => {
    const res = await postEvent(rx.url(), { id: -1, version: 1, takedown: true }, { token: await signToken(rx.keys) });
    expect(res.status).toBe(200);
    expect(await inbox(sql`item_id = '-1'`)).toEqual([expect.objectContaining({ status: 'test', runId: null })]);
    const [releases] = await query<{ n: number }>(db.orm, sql`select count(*)::integer as n from releases where id = '-1'`);
    expect(releases!.n).toBe(0);
  });
});

describe('the inbox', () => {
  it('stores the same event once', async () => {
    const event = takedownEvent(9200, 10);
    const first = await postEvent(rx.url(), event, { token: await signToken(rx.keys) });
    const second = await postEvent(rx.url(), event, { token: await signToken(rx.keys), gzip: true });
    expect([first.status, second.status]).toEqual([202, 200]);
    expect((await inbox(sql`item_id = '9200'`)).length).toBe(1);
  });

  it('stores and flags a different body under a version already stored', async () => {
    await postEvent(rx.url(), releaseEvent(9201, 10, { title: 'One' }), { token: await signToken(rx.keys) });
    const res = await postEvent(rx.url(), releaseEvent(9201, 10, { title: 'Two' }), { token: await signToken(rx.keys) });
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
        const res = await postEvent(blocked.url(), releaseEvent(9300, 1), { token: await signToken(blocked.keys) });
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
      const body = JSON.stringify(releaseEvent(9400, 1));
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
