// The lean reference (issue 14): one COPY of the gunzipped feed into a temporary staging
// table and one version-guarded merge into a typed `tracks` table (bench/lean.sql), with
// display titles and a takedown audit row per takedown, and none of feedline's extras (no
// raw record, no line numbers across quoted line breaks, no quarantine, no run ledger). It
// is the yardstick for speed; bench/reference.ts, which does feedline's work, is the one for
// correctness. A record's version is the base plus its record number: within one file that
// orders records as their lines do, which is all the end state depends on.
import { createReadStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Sql } from 'postgres';
import { TRACK_HEADER } from './generate.js';

export interface LeanRunOptions {
  sql: Sql;
  feedPath: string;
  country: string;
  source: string;
  versionBase: bigint;
  /** An updates feed has the `action` column first; a full feed does not. */
  kind: 'full' | 'updates';
}

export async function createLeanSchema(sql: Sql): Promise<void> {
  await sql.unsafe(section('create')).simple();
}

export async function runLean({ sql, feedPath, country, source, versionBase, kind }: LeanRunOptions): Promise<void> {
  const header = kind === 'updates' ? ['action', ...TRACK_HEADER] : [...TRACK_HEADER];
  const columns = header.map((name) => `"${name}"`);
  await sql.begin(async (tx) => {
    await tx.unsafe(`create temporary table lean_staging (
      feed_record bigint generated always as identity,
      ${columns.map((c) => `${c} text collate "C"`).join(', ')}${kind === 'full' ? ', action text' : ''}
    ) on commit drop`);
    await tx`set local work_mem = '256MB'`;
    const copy = await tx.unsafe(`copy lean_staging (${columns.join(', ')}) from stdin
      with (format csv, header true, force_not_null (${columns.join(', ')}))`).writable();
    await pipeline(createReadStream(feedPath), createGunzip(), copy);
    await tx`analyze lean_staging`;
    await tx.unsafe(section('merge'), [source, country, versionBase.toString()]);
  });
}

let sections: Map<string, string> | undefined;

function section(name: 'create' | 'merge'): string {
  if (!sections) {
    const parts = readFileSync(new URL('./lean.sql', import.meta.url), 'utf8').split(/^-- name: (\w+)\n/m);
    sections = new Map();
    for (let i = 1; i < parts.length; i += 2) sections.set(parts[i]!, parts[i + 1]!);
  }
  const text = sections.get(name);
  if (!text) throw new Error(`bench/lean.sql has no "-- name: ${name}" section`);
  return text;
}
