// The database seam: one drizzle database over either postgres.js (DATABASE_URL set) or
// embedded PGlite (the default). Everything else takes a `Database` and never asks which.
import { refusal } from './refusals.js';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync, unlinkSync, constants } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { describeUrl } from '../config/load.js';
import { UnreachableError, UsageError, isConnectionError } from '../errors.js';
import * as schema from '../../schema/index.js';

export type Orm = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  orm: Orm;
  kind: 'postgres' | 'pglite';
  /** Where it lives, without credentials: for messages. */
  where: string;
  /** Runs `fn` holding a session-level advisory lock (migrations, one scheduler tick). */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` only if no other session holds the lock; undefined when one does. */
  tryWithLock<T>(key: string, fn: () => Promise<T>): Promise<T | undefined>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl: string | undefined;
  home: string;
  /** Connections in the postgres.js pool. */
  poolSize?: number;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize ?? 4) : openPglite(options.home);
}

/**
 * Rows of a raw statement, the same from either driver: timestamps as Date, int8 as number
 * (cast to text what may pass 2^53), json as objects, bytea as Buffer. drizzle leaves
 * timestamps as text on both; postgres.js gives int8 as text and PGlite as number.
 */
export async function query<T>(db: Pick<Orm, 'execute'>, statement: SQL): Promise<T[]> {
  const result = (await db.execute(statement)) as unknown;
  // postgres.js: an array of rows with `columns`; PGlite: `{ rows, fields }`.
  const rows = (Array.isArray(result) ? result : (result as { rows: Record<string, unknown>[] }).rows) as Record<string, unknown>[];
  const columns = Array.isArray(result)
    ? ((result as { columns?: { name: string; type: number }[] }).columns ?? [])
    : ((result as { fields?: { name: string; dataTypeID: number }[] }).fields ?? []).map((f) => ({ name: f.name, type: f.dataTypeID }));
  const parsed = columns.flatMap(({ name, type }) => {
    const parse = PARSERS[type];
    return parse ? [{ name, parse }] : [];
  });
  if (parsed.length > 0) {
    for (const row of rows) {
      for (const { name, parse } of parsed) {
        const value = row[name];
        if (value !== null && value !== undefined) row[name] = parse(value, name);
      }
    }
  }
  return rows as T[];
}

/** Per type OID, from what either driver returns to the one type callers get. */
const PARSERS: Record<number, (value: unknown, column: string) => unknown> = {
  1184: (v) => (v instanceof Date ? v : timestamp(String(v), '')), // timestamptz
  1114: (v) => (v instanceof Date ? v : timestamp(String(v), 'Z')), // timestamp (UTC by convention)
  20: (v, column) => { // int8
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new RangeError(`column ${column}: int8 ${String(v)} is beyond 2^53; select it ::text`);
    return n;
  },
  114: (v) => (typeof v === 'string' ? JSON.parse(v) : v), // json
  3802: (v) => (typeof v === 'string' ? JSON.parse(v) : v), // jsonb
  17: (v) => (Buffer.isBuffer(v) ? v : Buffer.from((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength)), // bytea
};

/** PostgreSQL's text form (`2026-11-01 06:00:00.123+00`, `infinity`) as a Date. */
function timestamp(text: string, zone: string): Date {
  if (text === 'infinity') return new Date(8.64e15);
  if (text === '-infinity') return new Date(-8.64e15);
  return new Date(`${text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')}${zone}`);
}

/** Lets the current transaction commit without waiting for its WAL flush. Parameters: the transaction. */
export async function asynchronousCommit(tx: Pick<Orm, 'execute'>): Promise<void> {
  await tx.execute(sql`set local synchronous_commit = off`);
}

/**
 * A postgres.js client that has answered once: a refused login or an unreachable server is
 * a clear error here, not at the first query. Also the gate's LISTEN connection (db/notify.ts).
 */
export async function connectPostgres(url: string, poolSize: number): Promise<postgres.Sql> {
  const where = describeUrl(url);
  const client = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    connect_timeout: 10,
  });
  try {
    await client`select 1`;
  } catch (err) {
    await client.end({ timeout: 1 }).catch(() => {});
    const refused = refusal(err, url, where);
    if (refused) throw refused;
    if (isConnectionError(err)) throw new UnreachableError('PostgreSQL', where, { cause: err });
    throw err;
  }
  return client;
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const where = describeUrl(url);
  const client = await connectPostgres(url, poolSize);
  const orm = drizzlePostgres(client, { schema }) as unknown as Orm;
  return {
    orm,
    kind: 'postgres',
    where,
    async withLock(key, fn) {
      const reserved = await client.reserve();
      try {
        await reserved`select pg_advisory_lock(hashtext(${key}))`;
        return await fn();
      } finally {
        await reserved`select pg_advisory_unlock(hashtext(${key}))`.catch(() => {});
        reserved.release();
      }
    },
    async tryWithLock(key, fn) {
      const reserved = await client.reserve();
      try {
        const [row] = await reserved<{ locked: boolean }[]>`select pg_try_advisory_lock(hashtext(${key})) as locked`;
        if (!row?.locked) return undefined;
        try {
          return await fn();
        } finally {
          await reserved`select pg_advisory_unlock(hashtext(${key}))`.catch(() => {});
        }
      } finally {
        reserved.release();
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/**
 * PGlite is a single-process database: a second process opening the same directory
 * would corrupt it, so a pid lock file guards it (a stale one, whose process is gone,
 * is taken over).
 */
async function openPglite(home: string): Promise<Database> {
  const dataDir = path.join(home, 'pgdata');
  mkdirSync(home, { recursive: true });
  const release = acquirePidLock(path.join(home, 'pgdata.lock'));
  let pg: PGlite;
  try {
    pg = new PGlite(dataDir);
    await pg.waitReady;
  } catch (err) {
    release();
    throw err;
  }
  const orm = drizzlePglite(pg, { schema }) as unknown as Orm;
  // One process owns PGlite, so in-process locks, one queue per key, are the advisory locks.
  const locks = new Map<string, Promise<void>>();
  const withLock = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const run = (locks.get(key) ?? Promise.resolve()).then(fn);
    const released = run.then(() => undefined, () => undefined);
    locks.set(key, released);
    void released.then(() => {
      if (locks.get(key) === released) locks.delete(key);
    });
    return run;
  };
  return {
    orm,
    kind: 'pglite',
    where: dataDir,
    withLock,
    async tryWithLock(key, fn) {
      return locks.has(key) ? undefined : withLock(key, fn);
    },
    async close() {
      await pg.close();
      release();
    },
  };
}

function acquirePidLock(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try { unlinkSync(file); } catch { /* already gone */ }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8'));
      if (owner && owner !== process.pid && isAlive(owner)) {
        throw new UsageError(`the embedded database in ${path.dirname(file)} is in use by process ${owner}; stop it, or set DATABASE_URL to share a PostgreSQL server`);
      }
      unlinkSync(file);
    }
  }
  throw new UsageError(`cannot lock the embedded database at ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export { sql };
