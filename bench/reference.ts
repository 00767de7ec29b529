// The benchmark's reference: what a careful engineer would write to apply a provider track
// feed (FEEDS.md) with postgres.js and no feedline. One COPY of the gunzipped file into a
// temporary staging table, then one set-based, version-guarded merge into `tracks`
// (bench/reference.sql), in one transaction, so a feed is applied whole or not at all.
//
// LINE NUMBERS. A record's version is versionBase + its line, and its line is the physical
// line of the file on which the record STARTS: the header is line 1, the first record line
// 2, and a record holding a line break inside a quoted field pushes every later record one
// line further down per break. It is what a person sees in an editor, what a quarantine
// entry should point at, and it is still a strictly increasing key of the records, so the
// version order is the file order. (COPY numbers records, not lines; the merge adds back
// the breaks counted in the staged fields. With csv-parse's `info` option, a record starts
// on the previous record's `info.lines` + 1: `info.lines` is the line where a record ends.)
//
// What it deliberately does not do, and feedline must: quarantine a malformed record (here
// one bad number fails the whole feed), keep a run ledger, measure SLAs.
//
// CLI: npx tsx bench/reference.ts --database-url URL --full PATH --updates PATH
//        [--country GB] [--source 7digital] [--full-date 2026-11-02] [--updates-date 2026-11-20]
import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import postgres, { type Sql } from 'postgres';
import { versionBase as feedVersionBase } from '../src/catalogue/version.js';
import { TRACK_HEADER } from './generate.js';

export interface ReferenceRunOptions {
  sql: Sql;
  /** A gzip track feed, `full` or `updates` (an updates feed has the `action` column). */
  feedPath: string;
  country: string;
  source: string;
  /** Added to each record's line to give its change_version (src/catalogue/version.ts). */
  versionBase: bigint;
}

export interface PrepareOptions extends Omit<ReferenceRunOptions, 'feedPath'> {
  fullFeedPath: string;
}

export interface ReferenceResult {
  /** Records in the file. */
  records: number;
  /** Rows of `tracks` inserted or updated (the rest were older than what was stored). */
  applied: number;
  /** Wall time of the COPY, gunzip included. */
  copyMs: number;
  /** Wall time of the merge, the staging table's ANALYZE included. */
  mergeMs: number;
}

/** Creates (or re-creates, emptied) the `tracks` table of schema/catalogue.ts. */
export async function createReferenceSchema(sql: Sql): Promise<void> {
  await sql.unsafe(statements().create_tracks).simple();
}

/**
 * The prepared state both contestants start from: a fresh `tracks` loaded from a full feed
 * the same way, then vacuumed and checkpointed, so that the measured run pays neither
 * for hint bits on a million fresh rows nor for the load's dirty pages.
 */
export async function prepareBaseState({ fullFeedPath, ...options }: PrepareOptions): Promise<ReferenceResult> {
  await createReferenceSchema(options.sql);
  const result = await runReference({ ...options, feedPath: fullFeedPath });
  await options.sql`vacuum (analyze) tracks`;
  await options.sql`checkpoint`;
  return result;
}

export async function runReference({ sql, feedPath, country, source, versionBase }: ReferenceRunOptions): Promise<ReferenceResult> {
  const header = await readHeader(feedPath);
  const missing = TRACK_HEADER.filter((name) => !header.includes(name));
  if (missing.length > 0) throw new Error(`${feedPath} is not a track feed: no ${missing.join(', ')} column`);
  if (new Set(header).size !== header.length) throw new Error(`${feedPath} repeats a header column`);

  return sql.begin(async (tx) => {
    // Every column stays text until the merge casts it. The staging table is a temporary
    // one: session-local, never WAL-logged, dropped at commit. A full feed has no `action`:
    // its column stays null, which the merge reads as live.
    const columns = header.map(quoteIdentifier);
    const action = header.includes('action') ? '' : ', action text';
    await tx.unsafe(`create temporary table reference_staging (
      feed_record bigint generated always as identity, ${columns.map((c) => `${c} text`).join(', ')}${action}
    ) on commit drop`);
    // Larger than the default 4MB so the dedupe's hash join of a million ids stays in memory.
    await tx`set local work_mem = '256MB'`;

    // Records are numbered in file order: COPY inserts them one by one in one backend.
    // FORCE_NOT_NULL keeps an empty field as '' (as it arrived, for `raw`); the merge turns
    // '' into NULL where it types the columns.
    const copyStarted = performance.now();
    const copy = await tx.unsafe(`copy reference_staging (${columns.join(', ')}) from stdin
      with (format csv, header true, force_not_null (${columns.join(', ')}))`).writable();
    await pipeline(createReadStream(feedPath), createGunzip(), copy);
    const copyMs = performance.now() - copyStarted;

    const mergeStarted = performance.now();
    // A temporary table is never analyzed by autovacuum; the merge plan needs its statistics.
    await tx`analyze reference_staging`;
    const merged = await tx.unsafe(statements().merge, [source, country, versionBase.toString()]);
    const mergeMs = performance.now() - mergeStarted;

    const [{ records }] = await tx<[{ records: number }]>`select count(*)::int as records from reference_staging`;
    return { records, applied: merged.count, copyMs, mergeMs };
  });
}

/** The header line, read from the first few kilobytes of the gzip file. */
async function readHeader(feedPath: string): Promise<string[]> {
  let text = '';
  const stream = createReadStream(feedPath).pipe(createGunzip());
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  stream.destroy();
  // COPY's HEADER skips the whole first line, a byte order mark included; the names must not keep it.
  const [header] = parse(text.split('\n', 1)[0]!, { bom: true }) as string[][];
  if (!header) throw new Error(`${feedPath} has no header line`);
  return header;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

type StatementName = 'create_tracks' | 'merge';
let loaded: Record<StatementName, string> | undefined;

/** The `-- name:` sections of reference.sql, read on first use. */
function statements(): Record<StatementName, string> {
  if (!loaded) {
    const parts = readFileSync(new URL('./reference.sql', import.meta.url), 'utf8').split(/^-- name: (\w+)\n/m);
    const sections = new Map<string, string>();
    for (let i = 1; i < parts.length; i += 2) sections.set(parts[i]!, parts[i + 1]!);
    const section = (name: StatementName): string => {
      const text = sections.get(name);
      if (!text) throw new Error(`bench/reference.sql has no "-- name: ${name}" section`);
      return text;
    };
    loaded = { create_tracks: section('create_tracks'), merge: section('merge') };
  }
  return loaded;
}

// ---------------------------------------------------------------------------------------
// CLI

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'database-url': { type: 'string' },
      full: { type: 'string' },
      updates: { type: 'string' },
      country: { type: 'string', default: 'GB' },
      source: { type: 'string', default: '7digital' },
      'full-date': { type: 'string', default: '2026-11-02' },
      'updates-date': { type: 'string', default: '2026-11-20' },
    },
  });
  const url = values['database-url'];
  if (!url || !values.full || !values.updates) {
    throw new Error('usage: npx tsx bench/reference.ts --database-url URL --full PATH --updates PATH [--country GB] [--source 7digital] [--full-date YYYY-MM-DD] [--updates-date YYYY-MM-DD]');
  }
  const effectiveAt = (flag: string, date: string): Date => {
    const at = new Date(`${date}T00:00:00Z`);
    if (Number.isNaN(at.getTime())) throw new Error(`--${flag} must be a date (YYYY-MM-DD), got ${date}`);
    return at;
  };
  const common = { country: values.country, source: values.source };
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const prepared = await prepareBaseState({
      ...common, sql, fullFeedPath: values.full,
      versionBase: feedVersionBase(effectiveAt('full-date', values['full-date']), 'full'),
    });
    report('prepare (full feed)', prepared);
    const run = await runReference({
      ...common, sql, feedPath: values.updates,
      versionBase: feedVersionBase(effectiveAt('updates-date', values['updates-date']), 'updates'),
    });
    report('reference (updates feed)', run);
    const states = await sql<{ status: string; rows: number }[]>`select status, count(*)::int as rows from tracks group by status order by status`;
    process.stdout.write(`tracks: ${states.map((s) => `${s.status} ${s.rows}`).join(', ')}\n`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function report(label: string, r: ReferenceResult): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  process.stdout.write(`${label}: ${r.records} records, ${r.applied} applied; copy ${s(r.copyMs)}, merge ${s(r.mergeMs)}, total ${s(r.copyMs + r.mergeMs)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
