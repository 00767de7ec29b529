// `feedline events`, `events import`, `events replay`, and events in `get` and `report`,
// through the executable on the real PostgreSQL.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { feedline } from '../helpers/cli.js';
import { freshDatabase } from '../helpers/db.js';
import { releaseEvent, takedownEvent } from '../helpers/events.js';
import { tempDir } from '../helpers/feeds.js';

let env: Record<string, string>;
let dir: string;
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  env = { DATABASE_URL: await freshDatabase('test/events/cli.test.ts'), FEEDLINE_HOME: tempDir('feedline-events-cli-') };
  dir = tempDir('feedline-events-import-');
  writeFileSync(path.join(dir, '01-release.json'), JSON.stringify([releaseEvent(500, 2, { title: 'Newest' })], null, 2));
  // One body per line, as the provider's archive holds them: a line may carry several items.
  writeFileSync(path.join(dir, '02-backfill.jsonl'), [
    JSON.stringify([releaseEvent(500, 1, { title: 'Older' })]),
    JSON.stringify([releaseEvent(501, 1), takedownEvent(501, 2)]),
    '[{"id": 502, "version": 1, "tracks": [{"title": "no id"}]}]',
    JSON.stringify([{ id: -5, version: 1, takedown: true }]),
  ].join('\n'));
});

describe('feedline events import', () => {
  it('stores and applies every event, records the bad line with file and line, exit 3', async () => {
    const result = await feedline(['events', 'import', dir, '--json'], env);
    expect(result.code, result.stderr).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ files: 2, stored: 4, tests: 1, applied: 3, stale: 1 });
    expect(report.rejected).toEqual([expect.objectContaining({ line: 3, reason: expect.stringMatching(/^02-backfill\.jsonl line 3: schema: .*tracks/) })]);
  });

  it('the catalogue holds the newest snapshot of each release', async () => {
    const release = await feedline(['get', 'release', '500', '--country', 'GB', '--json'], env);
    expect(release.code, release.stderr).toBe(0);
    expect(JSON.parse(release.stdout)).toMatchObject({ status: 'live', title: 'Newest' });
    const track = await feedline(['get', 'track', '5011', '--country', 'GB', '--json'], env);
    expect(JSON.parse(track.stdout)).toMatchObject({ status: 'taken_down', takedownReason: 'takedown_event' });
  });

  it('importing the same files again stores nothing twice', async () => {
    const result = await feedline(['events', 'import', path.join(dir, '01-release.json'), '--json'], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ stored: 0, duplicates: 1 });
  });
});

describe('feedline events', () => {
  it('counts received, applied, stale and rejected events; exit 7 for the rejected one', async () => {
    const result = await feedline(['events', '--since', '1h', '--json'], env);
    expect(result.code, result.stderr).toBe(7);
    expect(JSON.parse(result.stdout)).toMatchObject({ received: 6, applied: 3, stale: 1, rejected: 1, test: 1, pending: 0 });
  });

  it('replay re-applies through the version guard: nothing newer, so all stale', async () => {
    const result = await feedline(['events', 'replay', '--from', new Date(Date.now() - 3600_000).toISOString(), '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ events: 4, applied: 0, stale: 4 });
    const release = await feedline(['get', 'release', '500', '--country', 'GB', '--json'], env);
    expect(JSON.parse(release.stdout)).toMatchObject({ title: 'Newest' });
  });

  it('serve --role events without the provider key is a configuration error, exit 2', async () => {
    const result = await feedline(['serve', '--role', 'events'], { ...env, FEEDLINE_EVENTS_PORT: '0', FEEDLINE_HTTP_PORT: '0' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('FEEDLINE_EVENTS_PUBLIC_KEY_FILE');
  });

  it('refuses a bad --since with exit 2', async () => {
    expect((await feedline(['events', '--since', 'yesterday'], env)).code).toBe(2);
    expect((await feedline(['events', 'replay'], env)).code).toBe(2);
  });
});

describe('feedline report', () => {
  it('lists the event takedowns with received and applied times', async () => {
    const result = await feedline(['report', '--from', today, '--to', today, '--format', 'json'], env);
    expect(result.code, result.stderr).toBe(0);
    const takedowns = JSON.parse(result.stdout).takedowns as { itemId: string; reason: string; feed: string; receivedAt: string; appliedAt: string }[];
    const event = takedowns.filter((t) => t.reason === 'takedown_event');
    expect(event.map((t) => t.itemId).sort()).toEqual(['501', '501', '501', '5011', '5011', '5011', '5012', '5012', '5012']);
    expect(event[0]).toMatchObject({ feed: 'event takedown 501 v2', receivedAt: expect.any(String), appliedAt: expect.any(String) });
  });
});
