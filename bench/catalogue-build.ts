// Builds a large track catalogue straight into PostgreSQL with COPY (not through the
// pipeline), for the catalogue-scale benchmark (bench/catalogue.ts). Rows look like what the
// merge writes: every column filled, the record kept as `raw`, 1% taken down with their
// takedown audit spread over the last 90 days.
import { statfs } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';

export const COUNTRIES = ['GB', 'US', 'DE', 'FR', 'JP', 'BR', 'AU', 'CA', 'ES', 'IT'] as const;
const COPY_COLUMNS = [
  'source', 'country', 'id', 'status', 'takedown_reason', 'change_version', 'taken_down_at', 'updated_at', 'run_id', 'raw',
  'title', 'version_title', 'type', 'isrc', 'explicit', 'track_number', 'disc_number', 'artist_id', 'artist_appears_as',
  'release_id', 'duration_seconds', 'formats', 'price', 'rrp', 'url', 'popularity', 'streaming_release_date', 'licensor_id', 'display_title',
];
const TAKEN_DOWN_EVERY = 100;
const DAY_MS = 86_400_000;
const LINES_PER_CHUNK = 2000;

export interface CatalogueShape {
  rows: number;
  countries: number;
}

/** Track ids per country: the same ids in every country, as a provider licenses a track per territory. */
export function idsPerCountry(shape: CatalogueShape): number {
  return Math.ceil(shape.rows / shape.countries);
}

function trackLine(country: string, id: number, now: number): string {
  const release = Math.floor((id - 1) / 12) + 1;
  const n = ((id - 1) % 12) + 1;
  const takenDown = id % TAKEN_DOWN_EVERY === 0;
  const when = new Date(now - (id % 90) * DAY_MS - (id % 86_400) * 1000).toISOString();
  const title = `Track ${id} of release ${release}`;
  const isrc = `GB${String(release % 1000).padStart(3, '0')}${String(id).padStart(7, '0')}`;
  const fields = [String(id), title, id % 7 === 0 ? 'Radio Edit' : '', 'audio', isrc, id % 9 === 0 ? 'true' : 'false', String(n), '1',
    String(release % 50_000), `Artist ${release % 50_000}`, String(release), String(120 + (id % 240)), '17,33', '0.99', '1.29',
    `https://example.com/release/${release}`, String((id % 100) / 100), '2020-01-01T00:00:00Z', String(release % 300)];
  const raw = JSON.stringify(fields);
  return [
    '7digital', country, String(id), takenDown ? 'taken_down' : 'live', takenDown ? 'feed_delete' : '\\N',
    String(1_700_000_000_000 + id), takenDown ? when : '\\N', when, '\\N', raw,
    title, fields[2] || '\\N', 'audio', isrc, fields[5], String(n), '1', fields[8], fields[9], fields[10], fields[11], '17,33', '0.99', '1.29',
    fields[15], fields[16], '2020-01-01T00:00:00Z', fields[18], title,
  ].join('\t');
}

function* lines(shape: CatalogueShape, countries: readonly string[], now: number): Generator<string> {
  const perCountry = idsPerCountry(shape);
  let made = 0;
  let chunk: string[] = [];
  for (const country of countries) {
    for (let id = 1; id <= perCountry && made < shape.rows; id++, made++) {
      chunk.push(trackLine(country, id, now));
      if (chunk.length === LINES_PER_CHUNK) {
        yield `${chunk.join('\n')}\n`;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield `${chunk.join('\n')}\n`;
}

/** COPYs `shape.rows` track rows; the table keeps whatever indexes it has. */
export async function copyTracks(sql: postgres.Sql, shape: CatalogueShape, now = Date.now()): Promise<void> {
  const countries = COUNTRIES.slice(0, shape.countries);
  const writable = await sql.unsafe(`copy tracks (${COPY_COLUMNS.join(', ')}) from stdin`).writable();
  await pipeline(Readable.from(lines(shape, countries, now)), writable);
}

/** One audit row per taken-down track, as the merge would have written when it took it down. */
export async function auditTakedowns(sql: postgres.Sql): Promise<void> {
  await sql`
    insert into takedown_audit (entity, source, country, item_id, line, reason, published_at, received_at, applied_at)
    select 'track', source, country, id, 1, 'feed_delete', taken_down_at - interval '3 hours', taken_down_at - interval '1 hour', taken_down_at
    from tracks where status = 'taken_down'`;
}

export interface TableIndex {
  name: string;
  def: string;
  /** The constraint the index backs (the primary key), if any. */
  constraint: string | null;
}

/** The indexes of `tracks`, with the definitions to build them again. */
export async function trackIndexes(sql: postgres.Sql): Promise<TableIndex[]> {
  return sql<TableIndex[]>`
    select i.relname as name, pg_get_indexdef(i.oid) as def, c.conname as constraint
    from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
    left join pg_constraint c on c.conindid = i.oid
    where t.relname = 'tracks'`;
}

/** Builds the given indexes that `tracks` lacks (a build cut short is resumed here). */
export async function createIndexes(sql: postgres.Sql, indexes: TableIndex[], log: (line: string) => void): Promise<void> {
  const present = new Set((await trackIndexes(sql)).map((i) => i.name));
  const started = performance.now();
  const built: string[] = [];
  for (const index of indexes.filter((i) => !present.has(i.name))) {
    await sql.unsafe(index.def);
    if (index.constraint) await sql.unsafe(`alter table tracks add constraint ${index.constraint} primary key using index ${index.name}`);
    built.push(index.name);
  }
  log(`  indexes (${built.join(', ') || 'none missing'}): ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** The audit and the planner statistics, once the rows and indexes are in. */
export async function finishCatalogue(sql: postgres.Sql): Promise<void> {
  const [audit] = await sql<{ n: number }[]>`select count(*)::integer as n from takedown_audit`;
  if (audit!.n === 0) await auditTakedowns(sql);
  await sql`vacuum analyze tracks`;
  await sql`analyze takedown_audit`;
}

/**
 * Builds the catalogue fast: the table's indexes (primary key included) are dropped, the
 * rows COPYed, and the same indexes built again from their own definitions.
 */
export async function buildCatalogue(sql: postgres.Sql, shape: CatalogueShape, log: (line: string) => void): Promise<void> {
  const indexes = await trackIndexes(sql);
  for (const index of indexes) {
    await sql.unsafe(index.constraint ? `alter table tracks drop constraint ${index.constraint}` : `drop index ${index.name}`);
  }
  const started = performance.now();
  await copyTracks(sql, shape);
  log(`  COPY ${shape.rows.toLocaleString('en')} rows: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await createIndexes(sql, indexes, log);
  await finishCatalogue(sql);
}

/** Bytes the catalogue will need on disk, from a COPY of `sampleRows` into the real table. */
export async function estimateBytes(sql: postgres.Sql, shape: CatalogueShape, sampleRows: number): Promise<{ perRow: number; total: number }> {
  await copyTracks(sql, { rows: sampleRows, countries: 1 });
  await auditTakedowns(sql);
  await sql`vacuum analyze tracks`;
  const [size] = await sql<{ bytes: string }[]>`select (pg_total_relation_size('tracks') + pg_total_relation_size('takedown_audit'))::text as bytes`;
  await sql`truncate tracks, takedown_audit`;
  const perRow = Number(size!.bytes) / sampleRows;
  return { perRow, total: Math.ceil(perRow * shape.rows) };
}

/** Free bytes on the file system of the PostgreSQL data directory (this benchmark's server is local). */
export async function freeBytes(sql: postgres.Sql): Promise<{ dir: string; free: number }> {
  const [row] = await sql<{ dir: string }[]>`select current_setting('data_directory') as dir`;
  const stats = await statfs(row!.dir);
  return { dir: row!.dir, free: stats.bavail * stats.bsize };
}
