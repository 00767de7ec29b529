// The fixtures docs/feeds.md describes, one per entity and kind, ingested as an operator
// would: each applies, its lists and types land as documented, and a full feed ingested by
// hand says what it does not list and how to take it down.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { feedline, ROOT } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/feeds.js';

const FIXTURES = path.join(ROOT, 'fixtures/csv');
let db: Database;
let env: Record<string, string>;

beforeAll(async () => {
  const url = await freshDatabase('test/ingest/fixtures.test.ts');
  db = await connect(url);
  env = { DATABASE_URL: url, FEEDLINE_HOME: tempDir('feedline-home-') };
});
afterAll(async () => {
  await db?.close();
});

describe('fixtures/csv', () => {
  it('applies the artist, release and track updates fixtures, lists as arrays', async () => {
    for (const [name, rows] of [['GB_artist_updates_20261120.csv.gz', 3], ['GB_release_updates_20261120.csv.gz', 3], ['GB_track_updates_20261120.csv.gz', undefined]] as const) {
      const result = await feedline(['ingest', path.join(FIXTURES, name), '--json'], env);
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as { status: string; rows: number; quarantined: number };
      expect(summary.status).toBe('applied');
      // The track fixture carries two malformed rows on purpose (docs/feeds.md); ours none.
      if (rows !== undefined) expect(summary).toMatchObject({ rows, quarantined: 0 });
    }
    const [release] = await query<{ tags: string[]; explicit: boolean; status: string }>(db.orm, sql`select tags, explicit, status from releases where id = '9002'`);
    expect(release).toEqual({ tags: ['electronic', 'synth-pop', 'night'], explicit: true, status: 'live' });
    const [artist] = await query<{ tags: string[] }>(db.orm, sql`select tags from artists where id = '501'`);
    expect(artist!.tags).toEqual(['folk', 'acoustic']);
    const takenDown = await query<{ id: string }>(db.orm, sql`select id from artists where status = 'taken_down' union all select id from releases where status = 'taken_down'`);
    expect(takenDown.map((r) => r.id).sort()).toEqual(['503', '9003']);
  });

  it('ingests the track full fixture, takes nothing down, and says what it does not list', async () => {
    const [{ live }] = await query<{ live: number }>(db.orm, sql`select count(*)::integer as live from tracks where country = 'GB' and status = 'live'`) as [{ live: number }];
    const result = await feedline(['ingest', path.join(FIXTURES, 'GB_track_full_20261123.csv.gz'), '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { runId: number; reconcile: { absentLive: number; live: number; command: string } };
    expect(summary.reconcile).toEqual({ absentLive: live - 2, live, command: `feedline reconcile ${summary.runId} --confirm` });
    const [{ still }] = await query<{ still: number }>(db.orm, sql`select count(*)::integer as still from tracks where country = 'GB' and status = 'live'`) as [{ still: number }];
    expect(still).toBe(live);
  });

  it('refuses a folder of CSV files with the loop to run, and names only the unreadable part of a name', async () => {
    const folder = tempDir();
    copyFileSync(path.join(FIXTURES, 'GB_artist_updates_20261120.csv.gz'), path.join(folder, 'GB_artist_updates_20261120.csv.gz'));
    const dir = await feedline(['ingest', folder], env);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toContain('is a folder of CSV files; a folder is read as a DDEX batch. Ingest CSV files one at a time');
    const odd = path.join(tempDir(), 'named');
    mkdirSync(odd);
    const dashed = path.join(odd, 'GB_track_updates_2026-11-21.csv.gz');
    copyFileSync(path.join(FIXTURES, 'GB_track_updates_20261120.csv.gz'), dashed);
    const named = await feedline(['ingest', dashed], env);
    expect(named.code).toBe(3);
    expect(named.stdout + named.stderr).toContain(`cannot tell the feed's date from the name "GB_track_updates_2026-11-21.csv.gz" (write the date as YYYYMMDD, without dashes); pass --date`);
  });
});
