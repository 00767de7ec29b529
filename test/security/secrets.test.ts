// Secrets never reach logs, errors, --json output or metrics; feed text full of SQL and
// shell metacharacters is stored and read back unchanged (every statement is parameterised).
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { feedline, feedlineProcess } from '../helpers/cli.js';
import { REDIS_URL, clearPrefix, testPrefix } from '../helpers/redis.js';

const prefix = testPrefix(import.meta.filename);
const dir = tempDir();
const SECRETS = ['pg-SECRET-1', 'redis-SECRET-2', 'oauth-SECRET-3', 'hook-SECRET-4', 'dash-SECRET-5-abcdefgh', 'basic-SECRET-6'];
const HTTP_PORT = 18000 + (process.pid % 1000);
let env: Record<string, string>;
const outputs: string[] = [];
const processes: ChildProcess[] = [];

function capture(child: ChildProcess): void {
  child.stdout!.on('data', (d) => outputs.push(String(d)));
  child.stderr!.on('data', (d) => outputs.push(String(d)));
  processes.push(child);
}

async function run(args: string[], extra: Record<string, string> = {}) {
  const result = await feedline(args, { ...env, ...extra });
  outputs.push(result.stdout, result.stderr);
  return result;
}

beforeAll(async () => {
  await clearPrefix(prefix);
  const database = new URL(await freshDatabase(import.meta.filename));
  // Trust authentication ignores the password, so a real one can ride along in the URL.
  database.password = SECRETS[0]!;
  const redis = new URL(REDIS_URL);
  redis.password = SECRETS[1]!;
  env = {
    DATABASE_URL: database.toString(),
    REDIS_URL: redis.toString(),
    FEEDLINE_QUEUE_PREFIX: prefix,
    FEEDLINE_HOME: tempDir('feedline-home-'),
    LOG_LEVEL: 'debug',
    FEEDLINE_PROVIDER_BASE_URL: 'https://127.0.0.1:9/feeds',
    FEEDLINE_OAUTH_CONSUMER_KEY: 'consumer-key',
    FEEDLINE_OAUTH_CONSUMER_SECRET: SECRETS[2]!,
    FEEDLINE_WEBHOOK_URLS: `http://127.0.0.1:9/hook?token=${SECRETS[3]}`,
    FEEDLINE_DASHBOARD_TOKEN: SECRETS[4]!,
    FEEDLINE_DASHBOARD_USER: 'ops',
    FEEDLINE_DASHBOARD_PASSWORD: SECRETS[5]!,
    FEEDLINE_HTTP_PORT: String(HTTP_PORT),
    FEEDLINE_QUARANTINE_ALERT_SHARE: '0',
  };
  const worker = feedlineProcess(['worker'], env);
  capture(worker);
  const api = feedlineProcess(['serve', '--role', 'api'], env);
  capture(api);
});

afterAll(async () => {
  await Promise.all(processes.map(stopped));
  await clearPrefix(prefix);
});

function stopped(child: ChildProcess): Promise<unknown> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
    child.once('close', resolve);
    child.kill('SIGTERM');
  });
}

describe('secrets', () => {
  it('appear in no output of the whole pipeline: logs, errors, --json, metrics', async () => {
    const file = updatesFeed(dir, 'GB_track_updates_20261101.csv.gz', [trackRecord(1, {}, 'I'), trackRecord(2, {}, 'D'), 'U,bad-id,x']);
    expect((await run(['ingest', file, '--json'])).code).toBe(0);
    await run(['runs', '--json']);
    await run(['get', 'track', '2', '--country', 'GB', '--json']);
    await run(['quarantine', '1', '--json']);
    await run(['sla', '--json']);
    await run(['status', '--json']);
    await run(['runs'], { FEEDLINE_BATCH_SIZE: 'not-a-number' });
    await run(['runs'], { DATABASE_URL: `postgres://feedline:${SECRETS[0]}@127.0.0.1:1/x` });
    await run(['worker'], { REDIS_URL: `redis://:${SECRETS[1]}@127.0.0.1:1` });
    let metrics = '';
    for (let attempt = 0; attempt < 40 && !metrics; attempt++) {
      metrics = await fetch(`http://127.0.0.1:${HTTP_PORT}/metrics`, { headers: { authorization: `Bearer ${SECRETS[4]}` } })
        .then((r) => (r.ok ? r.text() : ''), () => '');
      if (!metrics) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(metrics).toContain('feedline_');
    outputs.push(metrics);
    // Everything the long-running processes wrote is in hand once they have exited.
    await Promise.all(processes.map(stopped));
    const everything = outputs.join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    for (const secret of SECRETS) expect(everything, secret).not.toContain(secret);
  }, 180_000); // about ten feedline processes, one after another
});

describe('parameterised SQL', () => {
  it('stores titles made of SQL and shell metacharacters unchanged', async () => {
    const titles = [
      `'); DROP TABLE tracks; --`,
      `Robert"); DELETE FROM feed_runs WHERE ("1"="1`,
      `$(rm -rf /) \`reboot\` && echo $HOME | cat /etc/passwd; $1 $$ %s %n \\x00`,
      `{"json": [1, 2]} <script>alert(1)</script> ' OR 1=1 --`,
    ];
    const file = updatesFeed(dir, 'GB_track_updates_20261102.csv.gz', titles.map((title, i) => trackRecord(100 + i, { title }, 'I')));
    // The first test stopped the long-running processes to read all they wrote: a worker of its own.
    const worker = feedlineProcess(['worker'], env);
    try {
      expect((await run(['ingest', file])).code).toBe(0);
    } finally {
      await stopped(worker);
    }
    for (const [i, title] of titles.entries()) {
      const got = await run(['get', 'track', String(100 + i), '--country', 'GB', '--json']);
      expect(JSON.parse(got.stdout).title).toBe(title);
    }
    expect((await run(['runs', '--json'])).code).toBe(0);
  }, 120_000);
});
