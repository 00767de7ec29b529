// The user's script (issue 26), the headline yardstick: one COPY of the gunzipped feed into
// a typed temporary table (numeric ids), one version-guarded `insert ... on conflict` into a
// typed table keyed by (country, id) with the display title computed in SQL, and a takedown
// audit row per item taken down, from the same statement's `returning` (bench/script.sql).
// Unlike bench/lean.ts it keeps no source column and audits items, not takedown records.
import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Sql } from 'postgres';
import { TRACK_HEADER } from './generate.js';

export interface ScriptRunOptions {
  sql: Sql;
  feedPath: string;
  country: string;
  versionBase: bigint;
  /** An updates feed has the `action` column first; a full feed does not. */
  kind: 'full' | 'updates';
}

/** COPY types each column as the user would; every other column is text. */
const COLUMN_TYPES: Partial<Record<(typeof TRACK_HEADER)[number], string>> = {
  trackId: 'bigint', explicitContent: 'boolean', trackNumber: 'integer', discNumber: 'integer',
  duration: 'integer', price: 'numeric(12, 4)', rrp: 'numeric(12, 4)', popularity: 'real',
  streamingReleaseDate: 'timestamp with time zone',
};

export async function createScriptSchema(sql: Sql): Promise<void> {
  await sql.unsafe(section('create')).simple();
}

export async function runScript({ sql, feedPath, country, versionBase, kind }: ScriptRunOptions): Promise<void> {
  const header = kind === 'updates' ? ['action', ...TRACK_HEADER] : [...TRACK_HEADER];
  const columns = header.map((name) => `"${name}"`);
  await sql.begin(async (tx) => {
    await tx.unsafe(`create temporary table script_staging (
      line bigint generated always as identity,
      ${header.map((name) => `"${name}" ${COLUMN_TYPES[name as keyof typeof COLUMN_TYPES] ?? 'text'}`).join(', ')}${kind === 'full' ? ', action text' : ''}
    ) on commit drop`);
    await tx`set local work_mem = '256MB'`;
    const copy = await tx.unsafe(`copy script_staging (${columns.join(', ')}) from stdin with (format csv, header true)`).writable();
    await pipeline(createReadStream(feedPath), createGunzip(), copy);
    await tx`analyze script_staging`;
    await tx.unsafe(section('merge'), [country, versionBase.toString()]);
  });
}

let sections: Map<string, string> | undefined;

function section(name: 'create' | 'merge'): string {
  if (!sections) {
    const parts = readFileSync(new URL('./script.sql', import.meta.url), 'utf8').split(/^-- name: (\w+)\n/m);
    sections = new Map();
    for (let i = 1; i < parts.length; i += 2) sections.set(parts[i]!, parts[i + 1]!);
  }
  const text = sections.get(name);
  if (!text) throw new Error(`bench/script.sql has no "-- name: ${name}" section`);
  return text;
}
