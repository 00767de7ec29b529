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
  /** Items taken down that have an audit row: the user's script audits items, not records. */
  auditedDown: number | null;
}

/** Ids, statuses, titles and display titles of `tracks`, and the audit counts. */
export async function stateDigest(name: string): Promise<StateDigest> {
  const sql = postgres(databaseUrl(name), { max: 1, onnotice: () => {} });
  try {
    // Ids as text: the user's script keys by a number, the others by text.
    const [row] = await sql<{ n: number; live: number; digest: string }[]>`
      select count(*)::int as n, count(*) filter (where status = 'live')::int as live,
        md5(string_agg(id::text || '|' || status || '|' || coalesce(title, '') || '|' || coalesce(display_title, ''), E'\n' order by id::text collate "C")) as digest
      from tracks`;
    const [audit] = await sql<{ to_regclass: string | null }[]>`select to_regclass('takedown_audit')`;
    const counts = audit!.to_regclass === null ? undefined : (await sql<{ audit: number; down: number }[]>`
      select (select count(*)::int from takedown_audit) as audit,
        (select count(*)::int from tracks t where t.status = 'taken_down'
          and exists (select from takedown_audit a where a.country = t.country and a.item_id::text = t.id::text)) as down`)[0];
    return { tracks: row!.n, live: row!.live, digest: row!.digest, audit: counts?.audit ?? null, auditedDown: counts?.down ?? null };
  } finally {
    await sql.end();
  }
}
