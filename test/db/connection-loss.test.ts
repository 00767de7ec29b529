// A PostgreSQL session that dies under a transaction or a held lock (a server restart, a
// failover, pg_terminate_backend) fails that work with a connection error and nothing else:
// the process lives on and the pool's next queries succeed. postgres.js 3.4.9 threw from a
// timer here, killing every worker at once, and left stale state that failed or hung the
// next query on the reconnected connection (patches/postgres+3.4.9.patch).
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { isConnectionError } from '../../src/errors.js';
import { ADMIN_URL, connect, freshDatabase, testDatabaseName } from '../helpers/db.js';

const FILE = 'test/db/connection-loss.test.ts';
let db: Database;
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });

beforeAll(async () => {
  db = await connect(await freshDatabase(FILE));
});

afterAll(async () => {
  await db.close();
  await admin.end();
});

async function terminate(pid: number): Promise<void> {
  await admin`select pg_terminate_backend(${pid})`;
}

/** Resolves once `predicate` holds, asking every 20 ms. */
async function until(predicate: () => Promise<boolean>): Promise<void> {
  while (!(await predicate())) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The pool still answers, on every connection it has. */
async function expectPoolWorks(): Promise<void> {
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => query<{ n: number }>(db.orm, sql`select ${i}::int as n, pg_sleep(0.05)`)));
  expect(answers.map(([row]) => row?.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
}

describe('a PostgreSQL session killed under feedline', () => {
  it('fails the transaction it was running with a connection error; the pool goes on', async () => {
    let pid = 0;
    const transaction = db.orm.transaction(async (tx) => {
      const [session] = await query<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`);
      pid = session!.pid;
      await tx.execute(sql`select pg_sleep(10)`);
    });
    const settled = transaction.then(() => undefined, (err: unknown) => err);
    await until(async () => pid !== 0);
    await terminate(pid);
    const err = await settled;
    expect(isConnectionError(err), String(err)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expectPoolWorks();
  });

  it('ends a held advisory lock with its session, and the lock can be taken again', async () => {
    const key = 'connection-loss-test';
    let release!: () => void;
    const holding = db.tryWithLock(key, () => new Promise<string>((resolve) => (release = () => resolve('done'))));
    let holder: number | undefined;
    await until(async () => {
      const [lock] = await admin<{ pid: number }[]>`
        select pid from pg_locks where locktype = 'advisory' and granted
          and database = (select oid from pg_database where datname = ${testDatabaseName(FILE)})`;
      holder = lock?.pid;
      return holder !== undefined;
    });
    await terminate(holder!);
    release();
    expect(await holding).toBe('done');
    expect(await db.tryWithLock(key, async () => 'again')).toBe('again');
    await expectPoolWorks();
  });
});
