// Issue 17's cases through the executable, as a user runs it, on PostgreSQL and on the
// embedded PGlite default: exit codes, the JSON summary, `feedline quarantine` listing
// warnings and possible takedowns, `feedline get` showing the takedowns applied; and files
// that are no feed at all on record as rejected runs, quoting nothing of them.
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/feeds.js';
import { feedline, ROOT } from '../helpers/cli.js';

const fixture = (name: string) => path.join(ROOT, 'fixtures/csv/bad-input', name);
const dir = tempDir();

const BACKENDS = [
  { name: 'PostgreSQL', env: async () => ({ DATABASE_URL: await freshDatabase(import.meta.filename), FEEDLINE_HOME: tempDir('feedline-home-') }) },
  { name: 'PGlite (embedded default)', env: async () => ({ FEEDLINE_HOME: tempDir('feedline-home-') }) },
];

async function json(args: string[], env: Record<string, string>) {
  const result = await feedline(args, env);
  return { code: result.code, stderr: result.stderr, stdout: result.stdout, body: result.stdout.trim().startsWith('{') ? JSON.parse(result.stdout) : undefined };
}

describe.each(BACKENDS)('feedline ingest of bad input on $name', (backend) => {
  it('refuses a wrong-entity file and a duplicated column (exit 3), applies takedowns with unreadable fields and survives an unclosed quote (exit 0)', async () => {
    const env = await backend.env();
    const wrongEntity = await feedline(['ingest', fixture('GB_release_updates_20261120.csv')], env);
    expect(wrongEntity.code).toBe(3);
    expect(wrongEntity.stdout).toContain('this is a track header (it has trackId), not a release header');

    const duplicated = await feedline(['ingest', fixture('GB_track_updates_20261123.csv')], env);
    expect(duplicated.code).toBe(3);
    expect(duplicated.stdout).toContain('column "trackId" appears twice (columns 2 and 20)');

    const takedowns = await json(['ingest', fixture('GB_track_updates_20261121.csv'), '--json'], env);
    expect(takedowns.code, takedowns.stderr).toBe(0);
    expect(takedowns.body).toMatchObject({ status: 'applied', rows: 10, inserted: 1, updated: 0, takenDown: 7, unchanged: 0, quarantined: 2 });
    const listed = await feedline(['quarantine', String(takedowns.body.runId)], env);
    expect(listed.stdout).toContain('GB_track_updates_20261121.csv:5 field streamingReleaseDate: warning (applied): streamingReleaseDate "2026-13-45" is not an ISO 8601 date; ignored, the takedown applies');
    expect(listed.stdout).toContain('GB_track_updates_20261121.csv:10 field action: POSSIBLE TAKEDOWN: unknown action "X"');
    const got = await json(['get', 'track', '7205', '--country', 'GB', '--json'], env);
    expect(got.body).toMatchObject({ status: 'taken_down', takedownReason: 'feed_delete' });

    const unclosed = await json(['ingest', fixture('GB_track_updates_20261122.csv'), '--json'], env);
    expect(unclosed.code, unclosed.stderr).toBe(0);
    expect(unclosed.body).toMatchObject({ status: 'applied', rows: 8, inserted: 2, takenDown: 4, quarantined: 2 });
  }, 240_000);
});

describe('files that are no feed at all are on record, and quoted nowhere', () => {
  it('a file whose name says nothing, a UTF-16 XML message and a symlinked system file are rejected runs (exit 3); a missing path exits 4', async () => {
    const env = (await BACKENDS[0]!.env());
    const nameless = path.join(dir, 'export.csv');
    writeFileSync(nameless, 'action,trackId,title\nD,1,x\n');
    const utf16 = path.join(dir, 'message.xml');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<?xml version="1.0" encoding="UTF-16"?><ern:NewReleaseMessage/>', 'utf16le')]));
    const passwd = path.join(dir, 'GB_track_updates_20261125.csv');
    symlinkSync('/etc/passwd', passwd);
    const [a, b, c, missing] = await Promise.all([
      json(['ingest', nameless, '--json'], env),
      json(['ingest', utf16, '--json'], env),
      json(['ingest', passwd, '--json'], env),
      feedline(['ingest', path.join(dir, 'no-such-thing.xml')], env),
    ]);
    expect(a.code).toBe(3);
    expect(a.body).toMatchObject({ status: 'rejected', entity: 'unknown', kind: 'unknown' });
    expect(a.body.error).toContain('cannot tell the feed\'s entity, kind, country, date from the name "export.csv"');
    expect(b.code).toBe(3);
    expect(b.body).toMatchObject({ status: 'rejected', entity: 'ddex' });
    expect(b.body.error).toContain('the file is encoded in UTF-16LE; feedline reads UTF-8 only');
    expect(c.code).toBe(3);
    expect(c.body.status).toBe('rejected');
    expect(c.body.error).toContain('it does not look like a CSV feed at all (not quoted)');
    expect(c.stdout).not.toContain('root:');
    expect(missing.code).toBe(4);
    const runs = await json(['runs', '--json'], env);
    const rejected = JSON.parse(runs.stdout) as { status: string; error: string | null }[];
    expect(rejected.filter((r) => r.status === 'rejected')).toHaveLength(3);
    expect(JSON.stringify(rejected)).not.toContain('root:');
  }, 240_000);
});
