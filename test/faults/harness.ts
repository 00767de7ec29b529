// Shared machinery of the fault tests: a generated feed, its state after a clean run, worker
// processes to kill, and a comparison of whole catalogue states.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { generateUpdatesFeed } from '../../bench/generate.js';
import { query, type Database } from '../../src/db/client.js';
import { type Run } from '../../src/db/runs.js';
import { getRun } from '../../src/db/run-lookups.js';
import { isConnectionError } from '../../src/errors.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { feedlineProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/feeds.js';
import { ingest, testConfig } from '../helpers/pipeline.js';
import { clearPrefix } from '../helpers/redis.js';

export const FAULT_ROWS = 200_000;
/** A Redis database of the fault suite's own: FLUSHDB there is "Redis lost everything" for feedline. */
export const FAULT_REDIS_URL = process.env.FEEDLINE_FAULT_REDIS_URL ?? 'redis://127.0.0.1:6379/9';

export async function generateFeed(dir: string, name = 'GB_track_updates_20261120.csv.gz'): Promise<string> {
  const file = path.join(dir, name);
  await generateUpdatesFeed({ path: file, rows: FAULT_ROWS, seed: 20261120, existingIds: 150_000 });
  return file;
}

export interface State {
  tracks: Record<string, unknown>[];
  audit: Record<string, unknown>[];
  run: Pick<Run, 'status' | 'rows' | 'inserted' | 'updated' | 'takenDown' | 'unchanged' | 'quarantined'>;
}

export async function snapshot(db: Database, run: Run): Promise<State> {
  const tracks = await query<Record<string, unknown>>(db.orm, sql`
    select country, id, status, title, display_title, change_version::text as version, takedown_reason
    from tracks order by country, id`);
  const audit = await query<Record<string, unknown>>(db.orm, sql`
    select entity, source, country, item_id, line, reason from takedown_audit order by country, item_id, line`);
  const { status, rows, inserted, updated, takenDown, unchanged, quarantined } = run;
  return { tracks, audit, run: { status, rows, inserted, updated, takenDown, unchanged, quarantined } };
}

/** The state a clean, in-process run of the feed leaves behind. */
export async function cleanState(file: string, label: string, prepare?: (db: Database) => Promise<unknown>): Promise<State> {
  const url = await freshDatabase(`faults-clean-${label}`);
  const db = await connect(url);
  try {
    await prepare?.(db);
    const result = await ingest(db, testConfig({ DATABASE_URL: url, FEEDLINE_BATCH_SIZE: '2000' }), { input: file });
    return await snapshot(db, result.run);
  } finally {
    await db.close();
  }
}

/** Rows checked and rows that differ between two states. */
export function compare(expected: State, actual: State): { checked: number; differences: number; first?: string } {
  let differences = 0;
  let first: string | undefined;
  const note = (what: string) => {
    differences++;
    first ??= what;
  };
  for (const key of ['tracks', 'audit'] as const) {
    const a = expected[key];
    const b = actual[key];
    if (a.length !== b.length) note(`${key}: ${a.length} rows expected, ${b.length} found`);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) note(`${key}[${i}]: expected ${JSON.stringify(a[i])}, found ${JSON.stringify(b[i])}`);
    }
  }
  if (JSON.stringify(expected.run) !== JSON.stringify(actual.run)) note(`run counts: expected ${JSON.stringify(expected.run)}, found ${JSON.stringify(actual.run)}`);
  return { checked: expected.tracks.length + expected.audit.length + 1, differences, first };
}

/** One fault scenario's world: its own database, Redis prefix, archive and workers. */
export class Scenario {
  readonly env: Record<string, string>;
  readonly workers: ChildProcess[] = [];
  /** The end of each worker's stderr, so a worker that died can say why. */
  private readonly workerStderr = new Map<ChildProcess, string>();
  db!: Database;

  private constructor(readonly label: string, url: string) {
    this.env = {
      DATABASE_URL: url,
      REDIS_URL: FAULT_REDIS_URL,
      FEEDLINE_QUEUE_PREFIX: `flfault-${label}`,
      FEEDLINE_HOME: tempDir(`feedline-fault-${label}-`),
      FEEDLINE_BATCH_SIZE: '2000',
      FEEDLINE_JOB_LOCK_MS: '4000',
      FEEDLINE_RECOVERY_INTERVAL_MS: '2000',
      FEEDLINE_STALE_PARSE_SECONDS: '5',
      FEEDLINE_JOB_ATTEMPTS: '3',
    };
  }

  /** Watches a run in `db` whose processes the test starts itself. */
  static watch(label: string, db: Database): Scenario {
    const scenario = new Scenario(label, '');
    scenario.db = db;
    return scenario;
  }

  static async start(label: string, workers = 2): Promise<Scenario> {
    const scenario = new Scenario(label, await freshDatabase(`faults-${label}`));
    await clearPrefix(scenario.env.FEEDLINE_QUEUE_PREFIX!, FAULT_REDIS_URL);
    scenario.db = await connect(scenario.env.DATABASE_URL!);
    for (let i = 0; i < workers; i++) scenario.startWorker();
    return scenario;
  }

  startWorker(): ChildProcess {
    const worker = feedlineProcess(['worker'], this.env);
    this.workerStderr.set(worker, '');
    worker.stderr!.on('data', (chunk) => this.workerStderr.set(worker, (this.workerStderr.get(worker)! + chunk).slice(-4000)));
    worker.stdout!.resume();
    this.workers.push(worker);
    return worker;
  }

  liveWorkers(): ChildProcess[] {
    return this.workers.filter((w) => w.exitCode === null && w.signalCode === null);
  }

  /** How each worker that ended on its own ended, and the last of what it wrote to stderr. */
  deadWorkers(): string {
    return this.workers.filter((w) => !this.liveWorkers().includes(w))
      .map((w) => `worker ${w.pid} exited (code ${w.exitCode}, signal ${w.signalCode}):\n${this.workerStderr.get(w)}`).join('\n');
  }

  /**
   * Waits until the feed's run exists and satisfies `predicate`. The test's own connections
   * live through the faults too (a PostgreSQL restart closes them): a read that fails with
   * a connection error is only "not yet".
   */
  async waitForRun(predicate: (run: Run) => boolean, timeoutMs = 240_000): Promise<Run> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.firstRun().catch((err: unknown) => {
        if (isConnectionError(err)) return undefined;
        throw err;
      });
      if (run && predicate(run)) return run;
      if (Date.now() > deadline) throw new Error(`${this.label}: run not as expected after ${timeoutMs} ms: ${JSON.stringify(run)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Waits until the run's parser has shown no sign of life for FEEDLINE_STALE_PARSE_SECONDS, so another process may resume it. */
  async waitForStaleParse(timeoutMs = 60_000): Promise<void> {
    const staleSeconds = Number(this.env.FEEDLINE_STALE_PARSE_SECONDS);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await query<{ stale: boolean }>(this.db.orm, sql`
        select heartbeat_at < now() - make_interval(secs => ${staleSeconds}) as stale from feed_runs order by id limit 1`);
      if (row?.stale) return;
      if (Date.now() > deadline) throw new Error(`${this.label}: the run's parser still looked alive after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private async firstRun(): Promise<Run | undefined> {
    const [row] = await query<{ id: number }>(this.db.orm, sql`select id::integer as id from feed_runs order by id limit 1`);
    return row ? getRun(this.db.orm, row.id) : undefined;
  }

  async stop(): Promise<void> {
    await Promise.all(this.liveWorkers().map((w) => new Promise((resolve) => {
      w.once('close', resolve);
      w.kill('SIGTERM');
    })));
    await this.db.close();
    await clearPrefix(this.env.FEEDLINE_QUEUE_PREFIX!, FAULT_REDIS_URL);
  }
}
