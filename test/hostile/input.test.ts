// Hostile and broken input: each gets a specific message naming the file, line and reason,
// and none stops the other rows or the other feeds.
import { createWriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { listQuarantine } from '../../src/db/run-lookups.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { TRACK_HEADER, tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { ingest, item, testConfig } from '../helpers/pipeline.js';

let db: Database;
let url: string;
const dir = tempDir();
let day = 0;
/** A fresh conventional name per test: every file is its own feed. */
const nextName = () => `GB_track_updates_202611${String(++day).padStart(2, '0')}.csv.gz`;

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
});
afterAll(async () => db.close());

async function rejected(file: string, overrides = {}) {
  const result = await ingest(db, testConfig({ DATABASE_URL: url, ...overrides }), { input: file });
  expect(result.status).toBe('rejected');
  return result.run.error ?? '';
}

async function appliedWithQuarantine(records: string[], header = `action,${TRACK_HEADER}`) {
  const file = path.join(dir, nextName());
  writeFileSync(file, gzipSync(`${header}\n${[trackRecord(1, {}, 'I'), ...records, trackRecord(2, {}, 'I')].join('\n')}\n`));
  const result = await ingest(db, testConfig({ DATABASE_URL: url, FEEDLINE_MAX_FIELD_BYTES: '4096' }), { input: file });
  expect(result.run.status).toBe('applied');
  expect(result.run.inserted).toBe(2);
  return listQuarantine(db.orm, result.run.id);
}

describe('files that cannot be a feed are rejected whole, with the reason', () => {
  it('an empty file', async () => {
    const file = path.join(dir, nextName());
    writeFileSync(file, '');
    expect(await rejected(file)).toContain('empty file');
  });

  it('a gzip bomb (inflates beyond the limit)', async () => {
    const file = path.join(dir, nextName());
    const zeros = Readable.from((function* () {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(1024 * 1024);
    })());
    await pipeline(zeros, createGzip({ level: 9 }), createWriteStream(file));
    expect(await rejected(file, { FEEDLINE_MAX_INFLATED_BYTES: String(16 * 1024 * 1024) })).toContain('gzip bomb');
  });

  it('a truncated gzip', async () => {
    const file = path.join(dir, nextName());
    const whole = gzipSync(`action,${TRACK_HEADER}\n${Array.from({ length: 200 }, (_, i) => trackRecord(i + 10, {}, 'I')).join('\n')}\n`);
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(await rejected(file)).toContain('corrupt or truncated gzip');
    expect(await item(db, 'track', '10')).toBeUndefined();
  });

  it('a binary file', async () => {
    const file = path.join(dir, nextName());
    writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 151 + 7) % 256)));
    expect(await rejected(file)).toMatch(/line 1: header lacks required track column\(s\) trackId/);
  });

  it('a feed whose header belongs to another entity', async () => {
    const file = path.join(dir, nextName());
    writeFileSync(file, gzipSync('action,releaseId,title,version,artistId\nI,1,A Release,,5\n'));
    expect(await rejected(file)).toContain('this is a release header (it has releaseId), not a track header');
  });
});

describe('bad rows are quarantined with line and reason; the rest applies', () => {
  it('a header-only feed applies nothing and is not an error', async () => {
    const file = updatesFeed(dir, nextName(), []);
    const result = await ingest(db, testConfig({ DATABASE_URL: url }), { input: file });
    expect(result.run).toMatchObject({ status: 'applied', rows: 0 });
  });

  it('too many and too few fields', async () => {
    const q = await appliedWithQuarantine([`${trackRecord(3, {}, 'U')},extra`, 'U,4,Short']);
    expect(q.map((r) => [r.line, r.reason])).toEqual([[3, 'has 21 fields, the header has 20'], [4, 'has 3 fields, the header has 20']]);
  });

  it('an unknown action letter, an id that is not a positive integer, a date that is not a date', async () => {
    const q = await appliedWithQuarantine([
      trackRecord(5, {}, 'U').replace(/^U/, 'Z'),
      trackRecord(-6, {}, 'U'),
      trackRecord(7, {}, 'U').replace('2026-01-01T00:00:00Z', '2026-13-45'),
    ]);
    expect(q.map((r) => [r.line, r.field])).toEqual([[3, 'action'], [4, 'trackId'], [5, 'streamingReleaseDate']]);
    expect(q[0]!.reason).toContain('unknown action "Z"');
    expect(q[1]!.reason).toContain('"-6" is not a positive integer id');
    expect(q[2]!.reason).toContain('"2026-13-45" is not an ISO 8601 date');
  });

  it('invalid UTF-8', async () => {
    const file = path.join(dir, nextName());
    const bad = Buffer.concat([Buffer.from(`U,8,Bad `), Buffer.from([0xc3, 0x28]), Buffer.from(`,,Audio,GBTST0000008,false,1,1,77,A,88,200,17,0.99,0.99,u,0.5,2026-01-01T00:00:00Z,1`)]);
    writeFileSync(file, gzipSync(Buffer.concat([Buffer.from(`action,${TRACK_HEADER}\n${trackRecord(1, {}, 'I')}\n`), bad, Buffer.from(`\n${trackRecord(2, {}, 'I')}\n`)])));
    const result = await ingest(db, testConfig({ DATABASE_URL: url }), { input: file });
    const q = await listQuarantine(db.orm, result.run.id);
    expect(q.map((r) => [r.line, r.reason])).toEqual([[3, 'is not valid UTF-8']]);
    expect(result.run.inserted).toBe(2);
  });

  it('a single field far larger than the limit', async () => {
    const q = await appliedWithQuarantine([trackRecord(9, { title: 'x'.repeat(100_000) }, 'U')]);
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ line: 3, field: 'title' });
    expect(q[0]!.reason).toBe('title is 100000 characters, over the 4096-byte limit (FEEDLINE_MAX_FIELD_BYTES)');
    expect(q[0]!.raw.length).toBeLessThan(10_010);
  });
});
