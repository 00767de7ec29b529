// The README's exit-code table, checked row by row: every code it documents has a case
// here, run through the executable, and every case gets the code the table promises.
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { feedline, ROOT, type CliResult } from '../helpers/cli.js';
import postgres from 'postgres';
import { ADMIN_URL, connect, freshDatabase, recreateDatabase, testDatabaseName } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed, writeFeed } from '../helpers/feeds.js';

const FILE = 'test/cli/readme-exit-codes.test.ts';
const dir = tempDir();
let url: string;
let db: Database;
let env: Record<string, string>;
let server: http.Server;
let serverUrl: string;

/** The codes of the README's "Exit codes" table. */
function documentedCodes(): number[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('\n## ', readme.indexOf('## Exit codes') + 5));
  return [...section.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
}

const feedsEnv = () => ({ ...env, FEEDLINE_FEEDS: 'track/updates', FEEDLINE_COUNTRIES: 'GB', FEEDLINE_START_DATE: '2026-11-01' });

/** One or more cases per documented code; each returns what the executable did. */
const CASES: Record<number, [string, () => Promise<CliResult>][]> = {
  // Published now: a feed dated weeks ago applied today is a late run, a breach (exit 8 below).
  0: [['ingest of a good feed', () => feedline(['ingest', updatesFeed(dir, 'GB_track_updates_20261101.csv.gz', [trackRecord(1, {}, 'I')]), '--published-at', new Date().toISOString()], env)]],
  1: [['an environment fault feedline does not classify (FEEDLINE_HOME under a file)', () => {
    writeFileSync(path.join(dir, 'plain-file'), 'x');
    return feedline(['runs'], { FEEDLINE_HOME: path.join(dir, 'plain-file', 'home') });
  }]],
  2: [
    ['an unknown flag', () => feedline(['ingest', '--bogus', 'x'], env)],
    ['ingest of an http URL without FEEDLINE_ALLOW_HTTP', () => feedline(['ingest', `${serverUrl}/GB_track_updates_20261105.csv.gz`], env)],
    ['get --country gbr', () => feedline(['get', 'track', '1', '--country', 'gbr'], env)],
    ['a database that does not exist', () => feedline(['runs'], { ...env, DATABASE_URL: url.replace(/\/[^/]+$/, '/nc_x_does_not_exist') })],
    ['a database that refuses the role permission to connect', async () => {
      const result = await feedline(['runs'], { ...env, DATABASE_URL: await deniedDatabaseUrl() });
      expect(result.stderr).toContain('permission denied for database');
      expect(result.stderr).toContain('GRANT CONNECT ON DATABASE');
      return result;
    }],
  ],
  3: [['a rejected feed', () => feedline(['ingest', writeFeed(dir, 'GB_track_updates_20261102.csv.gz', 'action,artistId,name', ['I,1,Someone'])], env)]],
  4: [
    ['an unknown item', () => feedline(['get', 'track', '999', '--country', 'GB'], env)],
    ['a missing file with an unconventional name', () => feedline(['ingest', `${dir}/unconventional.csv.gz`], env)],
    ['a URL answering 404', () => feedline(['ingest', `${serverUrl}/GB_track_updates_20261103.csv.gz`], { ...env, FEEDLINE_ALLOW_HTTP: 'true' })],
    ['acknowledging an alert that is not open', () => feedline(['alerts', 'ack', 'nothing-open', '--by', 'ops'], env)],
  ],
  5: [
    ['PostgreSQL unreachable', () => feedline(['runs'], { ...env, DATABASE_URL: 'postgres://feedline:pw@127.0.0.1:1/feedline' })],
    ['a feed server still answering 503 after its retries', async () => {
      const result = await feedline(['ingest', `${serverUrl}/down/GB_track_updates_20261104.csv.gz`], { ...env, FEEDLINE_ALLOW_HTTP: 'true', FEEDLINE_FETCH_RETRIES: '1' });
      expect(result.stderr).toContain('HTTP 503');
      return result;
    }],
  ],
  6: [['status with a feed behind', () => feedline(['status', '--at', '2026-11-05T12:00:00Z'], feedsEnv())]],
  7: [['status with a feed missing', async () => {
    await db.orm.execute(sql`insert into feed_fetches (source, entity, kind, country, feed_date, status, attempts) values ('7digital', 'track', 'updates', 'GB', '2026-11-02', 'missing', 3)`);
    return feedline(['status', '--at', '2026-11-05T12:00:00Z'], feedsEnv());
  }]],
  8: [['sla with an unacknowledged breach', async () => {
    await db.orm.execute(sql`insert into alerts (subject, kind, state, message) values ('readme-case', 'backlog', 'breach', 'case 8')`);
    return feedline(['sla'], env);
  }]],
  9: [['sla with an unacknowledged warning only', async () => {
    await db.orm.execute(sql`update alerts set state = 'warning' where subject = 'readme-case'`);
    return feedline(['sla'], env);
  }]],
  10: [['sla with every open alert acknowledged', async () => {
    expect((await feedline(['alerts', 'ack', 'readme-case', '--by', 'ops'], env)).code).toBe(0);
    return feedline(['sla'], env);
  }]],
};

/**
 * A database of this file's own that a role of its own may not connect to: PUBLIC's CONNECT
 * revoked. Both are named from the checkout, so clones on one server never share them.
 */
async function deniedDatabaseUrl(): Promise<string> {
  const name = `${testDatabaseName(FILE)}_denied`;
  const role = `${name}_role`;
  const deniedUrl = new URL(await recreateDatabase(name));
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop role if exists ${role}`);
    await admin.unsafe(`create role ${role} login`);
    await admin.unsafe(`revoke connect on database ${name} from public`);
  } finally {
    await admin.end();
  }
  deniedUrl.username = role;
  return deniedUrl.toString();
}

beforeAll(async () => {
  url = await freshDatabase(FILE);
  db = await connect(url);
  env = { DATABASE_URL: url, FEEDLINE_HOME: tempDir('feedline-home-') };
  server = http.createServer((req, res) => (req.url?.startsWith('/down/') ? res.writeHead(503).end('down for maintenance') : res.writeHead(404).end('no such feed')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await db?.close();
});

describe("the README's exit-code table", () => {
  it('has a case here for every code it documents, and no case for a code it does not', () => {
    expect(documentedCodes()).toEqual(Object.keys(CASES).map(Number));
  });

  for (const [code, cases] of Object.entries(CASES)) {
    for (const [name, run] of cases) {
      it(`${code}: ${name}`, async () => {
        const result = await run();
        expect(result.code, result.stderr).toBe(Number(code));
        // No stack traces for anything documented.
        expect(result.stderr).not.toMatch(/\n\s+at /);
      });
    }
  }
});
