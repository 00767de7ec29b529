// Faults injected while a 200,000-row feed is being applied by two worker processes. Each
// scenario lets feedline recover on its own, then compares the whole catalogue state (ids,
// statuses, titles, versions), the takedown audit and the run's counts with a clean run.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { listQuarantine } from '../../src/db/run-lookups.js';
import { alertSubject } from '../../src/sla/subjects.js';
import { feedline, feedlineProcess } from '../helpers/cli.js';
import { TRACK_HEADER, tempDir, trackRecord } from '../helpers/feeds.js';
import { FAULT_REDIS_URL, FAULT_ROWS, Scenario, cleanState, compare, generateFeed, snapshot, type State } from './harness.js';

const dir = tempDir('feedline-faults-');
let feed: string;
let clean: State;
const report: string[] = [];

beforeAll(async () => {
  feed = await generateFeed(dir);
  clean = await cleanState(feed, 'main');
});

afterAll(() => {
  process.stdout.write(`\nfault suite: ${FAULT_ROWS} rows per feed\n${report.join('\n')}\n`);
});

async function expectSameAsClean(scenario: Scenario, label: string, expected = clean): Promise<void> {
  const run = await scenario.waitForRun((r) => r.status === 'applied');
  const result = compare(expected, await snapshot(scenario.db, run));
  report.push(`  ${label.padEnd(44)} ${result.checked} rows checked, ${result.differences} differences`);
  expect(result.differences, result.first).toBe(0);
}


describe('faults during a run', () => {
  it('1. SIGKILL a worker in the middle of a batch, several times', async () => {
    const scenario = await Scenario.start('kill');
    try {
      const ingest = feedline(['ingest', feed], scenario.env);
      for (let kill = 0; kill < 3; kill++) {
        await scenario.waitForRun((r) => r.batchesApplied >= 10 * (kill + 1));
        scenario.liveWorkers()[0]?.kill('SIGKILL');
        scenario.startWorker();
      }
      expect((await ingest).code).toBe(0);
      await expectSameAsClean(scenario, 'worker SIGKILLed 3 times');
    } finally {
      await scenario.stop();
    }
  });

  it('2. Redis loses everything in the middle of the run', async () => {
    const scenario = await Scenario.start('flush');
    try {
      const ingest = feedline(['ingest', feed], scenario.env);
      await scenario.waitForRun((r) => r.batchesApplied >= 20);
      const redis = new Redis(FAULT_REDIS_URL);
      await redis.flushdb();
      redis.disconnect();
      await ingest;
      await expectSameAsClean(scenario, 'Redis flushed mid-run');
    } finally {
      await scenario.stop();
    }
  });

  it('3. PostgreSQL restarts in the middle of the run', async () => {
    const scenario = await Scenario.start('pgrestart');
    try {
      const ingest = feedline(['ingest', feed], scenario.env);
      await scenario.waitForRun((r) => r.batchesApplied >= 20);
      const cluster = execFileSync('bash', ['-c', 'ls /etc/postgresql']).toString().trim();
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart']);
      // Every process rides the restart out: the ingest waits for the database and finishes
      // its own run, and no worker dies of it.
      const result = await ingest;
      expect(result.code, result.stderr).toBe(0);
      await expectSameAsClean(scenario, 'PostgreSQL restarted mid-run');
      expect(scenario.liveWorkers(), scenario.deadWorkers()).toHaveLength(2);
    } finally {
      await scenario.stop();
    }
  });

  it('4. two operators ingest the same file at the same moment: one run, applied once', async () => {
    const scenario = await Scenario.start('twice');
    try {
      const [a, b] = await Promise.all([feedline(['ingest', feed, '--json'], scenario.env), feedline(['ingest', feed, '--json'], scenario.env)]);
      const statuses = [JSON.parse(a.stdout).status, JSON.parse(b.stdout).status].sort();
      expect(statuses).toEqual(['applied', 'duplicate']);
      await expectSameAsClean(scenario, 'same file ingested twice at once');
    } finally {
      await scenario.stop();
    }
  });

  it('5. a batch that fails every time is applied row by row, its bad row quarantined', async () => {
    // A rule only PostgreSQL knows (the parser checks every rule of its own, NUL characters too).
    const poison = (db: Database) => db.orm.execute(sql`alter table tracks add constraint poison_title check (title is distinct from 'Poison Title')`);
    const records = Array.from({ length: 5000 }, (_, i) => trackRecord(i + 1, {}, 'I'));
    records[2500] = trackRecord(2501, { title: 'Poison Title' }, 'I');
    const file = path.join(dir, 'GB_track_updates_20261121.csv.gz');
    writeFileSync(file, gzipSync(`action,${TRACK_HEADER}\n${records.join('\n')}\n`));
    const expected = await cleanState(file, 'poison', poison);
    expect(expected.run).toMatchObject({ rows: 5000, inserted: 4999, quarantined: 1 });
    const scenario = await Scenario.start('poison');
    try {
      await poison(scenario.db);
      expect((await feedline(['ingest', file], scenario.env)).code).toBe(0);
      await expectSameAsClean(scenario, 'poison batch (row refused by PostgreSQL)', expected);
      const run = await scenario.waitForRun((r) => r.status === 'applied');
      const [quarantined] = await listQuarantine(scenario.db.orm, run.id);
      expect(quarantined).toMatchObject({ line: 2502 });
      expect(quarantined?.reason).toContain('refused by the database');
      const alerts = await query<{ kind: string; state: string }>(scenario.db.orm, sql`select kind, state from alerts where subject = ${alertSubject.batchFailed(run.id)}`);
      expect(alerts).toEqual([{ kind: 'batch_failed', state: 'breach' }]);
    } finally {
      await scenario.stop();
    }
  });

  it('6. the ingesting process is killed after parsing half the feed; ingesting again resumes', async () => {
    const scenario = await Scenario.start('resume');
    try {
      const first = feedlineProcess(['ingest', feed], scenario.env);
      first.stdout!.resume();
      first.stderr!.resume();
      const expectedBatches = Math.ceil(FAULT_ROWS / 2000);
      await scenario.waitForRun((r) => r.batchesApplied >= expectedBatches / 2);
      first.kill('SIGKILL');
      await scenario.waitForStaleParse();
      const second = await feedline(['ingest', feed, '--json'], scenario.env);
      expect(second.code, second.stderr).toBe(0);
      await expectSameAsClean(scenario, 'ingest killed half-way, then re-run');
    } finally {
      await scenario.stop();
    }
  });
});
