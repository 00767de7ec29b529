// Progress that tells the truth: batches applied are reported while the file is still being
// parsed (not 0 until parsing ends), with rows per second and an ETA; a non-terminal gets
// plain progress lines; `runs` shows times as ISO 8601 on PostgreSQL and PGlite alike.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { progressBar } from '../../src/cli/output.js';
import { ingestFeed, waitForRun } from '../../src/ingest/ingest.js';
import type { Progress } from '../../src/ingest/lifecycle.js';
import { progressLine } from '../../src/ingest/progress.js';
import { openRedis } from '../../src/queue/redis.js';
import { inlineSink, queueSink } from '../../src/queue/sink.js';
import { feedline } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';
import { REDIS_URL, clearPrefix, testPrefix } from '../helpers/redis.js';

let url: string;
let db: Database;
const config = testConfig({ FEEDLINE_BATCH_SIZE: '10' });

beforeAll(async () => {
  url = await freshDatabase('test/ingest/progress.test.ts');
  db = await connect(url);
});
afterAll(async () => {
  await db?.close();
});

describe('progress', () => {
  it('reports batches applied while parsing is still going on', async () => {
    const seen: Progress[] = [];
    const rows = Array.from({ length: 60 }, (_, i) => trackRecord(i + 1, {}, 'I'));
    await ingestFeed({ config, db, sink: inlineSink(db), logger: silentLogger, onProgress: (p) => seen.push(p) }, {
      input: updatesFeed(tempDir(), 'GB_track_updates_20261120.csv.gz', rows), feed: {},
    });
    const duringParse = seen.filter((p) => p.batchesTotal === null);
    expect(duringParse.length).toBeGreaterThan(1);
    expect(duringParse.some((p) => p.batchesApplied > 0)).toBe(true);
    // Never more applied than parsed.
    for (const p of duringParse) expect(p.batchesApplied).toBeLessThanOrEqual(p.batchesParsed);
  });

  it('serve and replay report the workers applying a run they wait for, from the ledger', async () => {
    // Queued with no worker: the wait sees the whole run registered and nothing applied yet.
    const prefix = testPrefix(import.meta.filename);
    await clearPrefix(prefix);
    const redis = await openRedis(REDIS_URL, 'producer');
    const sink = queueSink(redis, { prefix, attempts: 1, maxQueued: 100 });
    try {
      const rows = Array.from({ length: 25 }, (_, i) => trackRecord(100 + i, {}, 'I'));
      const outcome = await ingestFeed({ config, db, sink, logger: silentLogger }, { input: updatesFeed(tempDir(), 'GB_track_updates_20261122.csv.gz', rows), feed: {} });
      expect(outcome.status).toBe('queued');
      const seen: Progress[] = [];
      const stop = new AbortController();
      await waitForRun({ config, db, logger: silentLogger, onProgress: (p) => { seen.push(p); stop.abort(); } }, outcome.run.id, { signal: stop.signal });
      expect(seen).toEqual([{ runId: outcome.run.id, rowsParsed: 25, batchesParsed: 3, batchesApplied: 0, batchesTotal: 3 }]);
    } finally {
      await sink.close();
      redis.disconnect();
      await clearPrefix(prefix);
    }
  });

  it('says rows per second and the time left, in a line for a non-terminal', () => {
    const line = progressLine({ runId: 7, rowsParsed: 5000, batchesParsed: 10, batchesApplied: 5, batchesTotal: 10 }, Date.now() - 10_000);
    expect(line).toBe('run 7: 5/10 batches applied, 5000 rows parsed, 500 rows/s, ETA 10s');
    const out = new PassThrough();
    let written = '';
    out.on('data', (d) => (written += d));
    const reporter = progressBar(true, Object.assign(out, { isTTY: false }) as unknown as NodeJS.WriteStream);
    reporter.update({ runId: 7, rowsParsed: 100, batchesParsed: 1, batchesApplied: 1, batchesTotal: null });
    reporter.update({ runId: 7, rowsParsed: 200, batchesParsed: 2, batchesApplied: 2, batchesTotal: null });
    reporter.stop();
    // The first report at once, the next only after 10 s: one line here, no bar escapes.
    expect(written).toMatch(/^run 7: 1\/1\+ batches applied, 100 rows parsed, \d+ rows\/s, ETA \?\n$/);
  });

  it('runs shows ISO 8601 times on PostgreSQL and on PGlite', async () => {
    const file = updatesFeed(tempDir(), 'GB_track_updates_20261121.csv.gz', [trackRecord(1, {}, 'U')]);
    const home = tempDir('feedline-home-');
    for (const env of [{ DATABASE_URL: url, FEEDLINE_HOME: tempDir('feedline-home-') }, { FEEDLINE_HOME: home }] as Record<string, string>[]) {
      expect((await feedline(['ingest', file], env)).code).toBe(0);
      const text = await feedline(['runs'], env);
      expect(text.stdout).toMatch(/ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
      const [run] = JSON.parse((await feedline(['runs', '--json'], env)).stdout) as { createdAt: string; appliedAt: string }[];
      expect(run!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(run!.appliedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  }, 240_000);
});
