// The benchmark's databases: named from the checkout (two clones on one server never share
// one), each state prepared once as a template and cloned for every measured run, so a run
// starts from the same files whatever ran before it.
import postgres from 'postgres';
import { ADMIN_URL, CHECKOUT, databaseUrl } from '../test/helpers/db.js';
import { createHash } from 'node:crypto';

const TAG = createHash('sha256').update(CHECKOUT).digest('hex').slice(0, 8);

export function benchDatabase(name: string): string {
  return `feedline_bench_${TAG}_${name}`;
}

async function admin<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

/** Drops and creates an empty database; returns its URL. */
export async function recreate(name: string): Promise<string> {
  await admin(async (sql) => {
    await sql.unsafe(`drop database if exists ${name} with (force)`);
    await sql.unsafe(`create database ${name}`);
  });
  return databaseUrl(name);
}

/** Names of the databases on the server. */
export async function listDatabases(): Promise<Set<string>> {
  return admin(async (sql) => new Set((await sql<{ datname: string }[]>`select datname from pg_database`).map((r) => r.datname)));
}

/** A fresh copy of a template database (file copy: no WAL for the whole of it). */
export async function cloneDatabase(template: string, name: string): Promise<string> {
  await admin(async (sql) => {
    await sql.unsafe(`drop database if exists ${name} with (force)`);
    await sql.unsafe(`create database ${name} template ${template} strategy file_copy`);
  });
  return databaseUrl(name);
}

export interface StateDigest {
  tracks: number;
  live: number;
  digest: string;
  /** Takedown audit rows; null where the contestant keeps none (the full reference). */
  audit: number | null;
}

/** Ids, statuses, titles and display titles of `tracks`, and the audit row count. */
export async function stateDigest(name: string): Promise<StateDigest> {
  const sql = postgres(databaseUrl(name), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number; live: number; digest: string; audit: number | null }[]>`
      select count(*)::int as n, count(*) filter (where status = 'live')::int as live,
        md5(string_agg(id || '|' || status || '|' || coalesce(title, '') || '|' || coalesce(display_title, ''), E'\n' order by id collate "C")) as digest,
        (select case when to_regclass('takedown_audit') is null then null
          else (xpath('/row/n/text()', query_to_xml('select count(*) as n from takedown_audit', false, true, '')))[1]::text::int end) as audit
      from tracks`;
    return { tracks: row!.n, live: row!.live, digest: row!.digest, audit: row!.audit };
  } finally {
    await sql.end();
  }
}
