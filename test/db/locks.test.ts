// Advisory locks honour their key on both databases: different keys run side by side, one
// key runs one holder at a time, and tryWithLock gives way to any holder of its key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/feeds.js';

const databases: Record<'postgres' | 'pglite', Database | undefined> = { postgres: undefined, pglite: undefined };

beforeAll(async () => {
  databases.postgres = await connect(await freshDatabase(import.meta.filename));
  databases.pglite = await openDatabase({ databaseUrl: undefined, home: tempDir('feedline-locks-') });
});
afterAll(async () => {
  await databases.postgres?.close();
  await databases.pglite?.close();
});

/** A promise with its resolver, to hold a lock open until the test lets go. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { opened, open };
}

describe.each(['postgres', 'pglite'] as const)('%s locks', (kind) => {
  it('run holders of different keys side by side', async () => {
    const db = databases[kind]!;
    const release = gate();
    const holdingA = db.withLock('feedline.test.a', () => release.opened);
    // B must get its lock while A is still held: a lock that ignored its key would wait here for ever.
    const b = await db.withLock('feedline.test.b', async () => 'b ran');
    release.open();
    await holdingA;
    expect(b).toBe('b ran');
  });

  it('run holders of one key one at a time, and tryWithLock gives way to a holder', async () => {
    const db = databases[kind]!;
    const order: string[] = [];
    const release = gate();
    const first = db.withLock('feedline.test.c', async () => {
      order.push('first in');
      await release.opened;
      order.push('first out');
    });
    await expect.poll(() => order).toEqual(['first in']);
    const second = db.withLock('feedline.test.c', async () => { order.push('second'); });
    expect(await db.tryWithLock('feedline.test.c', async () => 'ran')).toBeUndefined();
    expect(await db.tryWithLock('feedline.test.d', async () => 'ran')).toBe('ran');
    release.open();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second']);
    expect(await db.tryWithLock('feedline.test.c', async () => 'free again')).toBe('free again');
  });
});
