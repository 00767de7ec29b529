// What an operator reads: one prefix per message, --version, help COMMAND, and a rejection
// said once.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { feedline, ROOT } from '../helpers/cli.js';
import { freshDatabase } from '../helpers/db.js';
import { tempDir, writeFeed } from '../helpers/feeds.js';

let env: Record<string, string>;
beforeAll(async () => {
  env = { DATABASE_URL: await freshDatabase('test/cli/messages.test.ts'), FEEDLINE_HOME: tempDir('feedline-home-') };
});

describe('messages', () => {
  it('prefix a usage error once', async () => {
    const result = await feedline(['ingest', '--bogus', 'x'], env);
    expect(result.stderr).toBe("feedline ingest: Unknown option '--bogus'; see feedline ingest --help\n");
  });

  it('say a rejection once, with the file name', async () => {
    const file = writeFeed(tempDir(), 'GB_track_updates_20261102.csv.gz', 'action,artistId,name', ['I,1,Someone']);
    const result = await feedline(['ingest', file], env);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^rejected: GB_track_updates_20261102\.csv\.gz: /);
    expect(result.stdout.match(/rejected/g)).toHaveLength(1);
  });

  it('answer --version and help COMMAND', async () => {
    const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
    expect(await feedline(['--version'], env)).toMatchObject({ code: 0, stdout: `feedline ${version}\n` });
    const help = await feedline(['help', 'alerts'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: feedline alerts \[--json\]/);
  });
});
