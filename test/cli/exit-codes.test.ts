// Each documented exit code, from the executable itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed, writeFeed } from '../helpers/feeds.js';
import { feedline } from '../helpers/cli.js';

let env: Record<string, string>;
const dir = tempDir();

beforeAll(async () => {
  env = { DATABASE_URL: await freshDatabase(import.meta.filename), FEEDLINE_HOME: tempDir('feedline-home-') };
});

describe('feedline exit codes', () => {
  it('0: ingest applies, prints JSON, and get reads the result', async () => {
    const file = updatesFeed(dir, 'GB_track_updates_20261101.csv.gz', [trackRecord(1, {}, 'I'), trackRecord(2, {}, 'D')]);
    const ingested = await feedline(['ingest', file, '--json'], env);
    expect(ingested.code).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ status: 'applied', rows: 2, inserted: 1, takenDown: 1, unchanged: 0, quarantined: 0 });
    const got = await feedline(['get', 'track', '2', '--country', 'GB', '--json'], env);
    expect(got.code).toBe(0);
    const item = JSON.parse(got.stdout);
    expect(item).toMatchObject({ entity: 'track', id: '2', country: 'GB', status: 'taken_down', title: 'Track 2', explicit: false });
    // Versions are bigints past 2^53: the stored record must carry every digit too.
    expect(item.record.change_version).toBe(item.version);
    const again = await feedline(['ingest', file, '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'duplicate', duplicateOf: JSON.parse(ingested.stdout).runId });
  });

  it('2: unknown flag, missing argument, bad configuration', async () => {
    expect((await feedline(['ingest', '--bogus', 'x'], env)).code).toBe(2);
    expect((await feedline(['get', 'track', '1'], env)).stderr).toContain('--country is required');
    const bad = await feedline(['runs'], { ...env, FEEDLINE_BATCH_SIZE: 'lots' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('FEEDLINE_BATCH_SIZE');
  });

  it('3: a rejected feed', async () => {
    const file = writeFeed(dir, 'GB_track_updates_20261102.csv.gz', 'action,artistId,name', ['I,1,Someone']);
    const result = await feedline(['ingest', file], env);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('this is an artist header (it has artistId), not a track header');
  });

  it('4: an unknown item or a missing file', async () => {
    expect((await feedline(['get', 'track', '999', '--country', 'GB'], env)).code).toBe(4);
    expect((await feedline(['ingest', `${dir}/GB_track_updates_20261103.csv.gz`], env)).code).toBe(4);
    // Whatever the name: one that says nothing is still a missing file, not a usage error.
    expect((await feedline(['ingest', `${dir}/unconventional.csv.gz`], env)).code).toBe(4);
  });

  it('5: PostgreSQL or Redis unreachable, saying which and where without the password', async () => {
    const pg = await feedline(['runs'], { ...env, DATABASE_URL: 'postgres://feedline:s3cret-pw@127.0.0.1:1/feedline' });
    expect(pg.code).toBe(5);
    expect(pg.stderr).toContain('PostgreSQL is unreachable at 127.0.0.1:1');
    expect(pg.stderr).not.toContain('s3cret-pw');
    const redis = await feedline(['worker'], { ...env, REDIS_URL: 'redis://:s3cret-pw@127.0.0.1:1' });
    expect(redis.code).toBe(5);
    expect(redis.stderr).toContain('Redis is unreachable at 127.0.0.1:1');
    expect(redis.stderr).not.toContain('s3cret-pw');
  });
});

afterAll(() => undefined);
