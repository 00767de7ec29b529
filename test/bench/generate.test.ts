import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACK_HEADER, generateFullFeed, generateUpdatesFeed } from '../../bench/generate.js';

/** A parsed record: every field as text, keyed by header name. */
type Row = Record<'action' | (typeof TRACK_HEADER)[number], string>;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'feedline-generate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function readFeed(file: string): Promise<{ header: string[]; rows: Row[] }> {
  let header: string[] = [];
  const rows: Row[] = [];
  const parser = createReadStream(file).pipe(createGunzip()).pipe(parse({
    columns: (names: string[]) => (header = names),
  }));
  for await (const row of parser) rows.push(row as Row);
  return { header, rows };
}

describe('generateFullFeed', () => {
  it('writes ids 1..rows in the provider track format', async () => {
    const file = path.join(dir, 'full.csv.gz');
    const result = await generateFullFeed({ path: file, rows: 2_000, seed: 3 });
    expect(result.rows).toBe(2_000);

    const { header, rows } = await readFeed(file);
    expect(header).toEqual([...TRACK_HEADER]);
    expect(rows.map((r) => Number(r.trackId))).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
    for (const row of rows) {
      expect(row.isrc).toMatch(/^[A-Z]{2}[A-Z0-9]{3}\d{7}$/);
      expect(row.streamingReleaseDate).toMatch(/^(\d{4}-\d{2}-\d{2}T00:00:00Z)?$/);
    }
  });
});

describe('generateUpdatesFeed', () => {
  const existingIds = 30_000;
  let file: string;
  let rows: Row[];
  let header: string[];

  beforeAll(async () => {
    file = path.join(dir, 'updates.csv.gz');
    const result = await generateUpdatesFeed({ path: file, rows: 20_000, seed: 42, existingIds });
    expect(result.bytes).toBeGreaterThan(0);
    ({ header, rows } = await readFeed(file));
  });

  it('is deterministic: the same seed gives the same bytes, another seed does not', async () => {
    const again = path.join(dir, 'updates-again.csv.gz');
    const other = path.join(dir, 'updates-other.csv.gz');
    await generateUpdatesFeed({ path: again, rows: 20_000, seed: 42, existingIds });
    await generateUpdatesFeed({ path: other, rows: 20_000, seed: 43, existingIds });
    expect(await sha256(again)).toBe(await sha256(file));
    expect(await sha256(other)).not.toBe(await sha256(file));
  });

  it('parses by header into 20,000 complete records with typed-looking values', () => {
    expect(header).toEqual(['action', ...TRACK_HEADER]);
    expect(rows).toHaveLength(20_000);
    const malformed = rows.filter((row) => !(
      /^[1-9]\d*$/.test(row.trackId)
      && /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/.test(row.isrc)
      && ['true', 'false'].includes(row.explicitContent)
      && ['0.99', '1.29'].includes(row.price) && row.rrp === row.price
      && /^[1-9]\d*$/.test(row.duration)
      && /^(\d{4}-\d{2}-\d{2}T00:00:00Z)?$/.test(row.streamingReleaseDate)
    ));
    expect(malformed).toEqual([]);
  });

  it('mixes about 85% U, 10% I and 5% D', () => {
    const share = (action: string) => rows.filter((r) => r.action === action).length / rows.length;
    expect(share('U')).toBeGreaterThan(0.82);
    expect(share('U')).toBeLessThan(0.88);
    expect(share('I')).toBeGreaterThan(0.08);
    expect(share('I')).toBeLessThan(0.12);
    expect(share('D')).toBeGreaterThan(0.035);
    expect(share('D')).toBeLessThan(0.065);
  });

  it('updates ids of the full feed and inserts new ids beyond it, unless reversing an earlier record', () => {
    const seen = new Set<string>();
    for (const row of rows) {
      const id = Number(row.trackId);
      if (row.action === 'U') expect(id).toBeLessThanOrEqual(existingIds);
      if (!seen.has(row.trackId)) {
        if (row.action === 'I') expect(id).toBeGreaterThan(existingIds);
        else expect(id).toBeLessThanOrEqual(existingIds);
      }
      seen.add(row.trackId);
    }
  });

  it('repeats ids where order matters: I then D, U then U', () => {
    const last = new Map<string, string>();
    const pairs = new Set<string>();
    let repeats = 0;
    for (const row of rows) {
      const before = last.get(row.trackId);
      if (before) {
        repeats++;
        pairs.add(`${before}${row.action}`);
      }
      last.set(row.trackId, row.action);
    }
    expect(repeats / rows.length).toBeGreaterThan(0.005);
    expect(repeats / rows.length).toBeLessThan(0.03);
    expect(pairs).toContain('ID');
    expect(pairs).toContain('UU');
  });

  it('holds quoted commas, doubled quotes and line breaks, and explicit versions', async () => {
    const titles = rows.map((r) => r.title);
    expect(titles.some((t) => t.includes(','))).toBe(true);
    expect(titles.some((t) => t.includes('"'))).toBe(true);
    expect(titles.some((t) => t.includes('\n'))).toBe(true);
    expect(rows.some((r) => r.formats === '17,33')).toBe(true);
    expect(rows.some((r) => r.explicitContent === 'true' && r.version.includes('(Explicit)'))).toBe(true);

    const text = gunzipSync(await readFile(file)).toString('utf8');
    expect(text).toContain('""');
    // A record spanning two physical lines: more lines than records.
    expect(text.split('\n').length - 2).toBeGreaterThan(rows.length);
  });
});
