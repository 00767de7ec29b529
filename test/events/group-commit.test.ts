// Group commit of the events receiver (README "Catalogue Events"): concurrent requests share
// one transaction and commit, each hears its own outcomes, and a failed group acknowledges none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { query, type Database } from '../../src/db/client.js';
import { storeEventGroup, type IncomingRequest } from '../../src/db/events.js';
import { storable } from '../../src/events/accept.js';
import { groupCommitInbox } from '../../src/events/group-store.js';
import { validateBody } from '../../src/events/model.js';
import { connect, databaseUrl, freshDatabase, testDatabaseName } from '../helpers/db.js';
import { releaseEvent, SOURCE, startTestReceiver, takedownEvent, type TestReceiver } from '../helpers/events.js';
import { postEvent, signToken } from '../helpers/provider.js';

const FILE = 'test/events/group-commit.test.ts';
let db: Database;
let rx: TestReceiver;

beforeAll(async () => {
  db = await connect(await freshDatabase(FILE));
  rx = await startTestReceiver(db);
});
afterAll(async () => {
  await rx?.close();
  await db?.close();
});

type Answer = { items: { index: number; status: string; id?: number; conflicting?: boolean }[] };

const request = (): IncomingRequest => ({ endpoint: 'standard', source: SOURCE, gzip: false, receivedAt: new Date(), iat: undefined, jti: undefined, ackMs: 1 });

function items(body: object[]) {
  const validation = validateBody('standard', body);
  if (!validation.ok) throw new Error(validation.reasons.join('; '));
  return validation.items.map(storable);
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe('one group of requests', () => {
  it('is stored as if its requests came one after another: duplicates and conflicting versions across them', async () => {
    const x = releaseEvent(7100, 1);
    const y = takedownEvent(7101, 1);
    const outcomes = await storeEventGroup(db.orm, [
      { request: request(), items: items([x, y]) },
      { request: request(), items: items([x, releaseEvent(7100, 1, { title: 'Other' })]) },
      { request: request(), items: items([releaseEvent(-7102, 1), y, y]) },
    ]);
    expect(outcomes.map((o) => o.map((i) => (i.outcome === 'stored' ? `stored${i.conflicting ? ' conflicting' : ''}` : i.outcome)))).toEqual([
      ['stored', 'stored'], ['duplicate', 'stored conflicting'], ['test', 'duplicate', 'duplicate'],
    ]);
    const rows = await query<{ itemId: string; runId: number | null; conflicting: boolean }>(db.orm, sql`
      select item_id as "itemId", run_id::integer as "runId", conflicting from events_inbox where item_id in ('7100', '7101', '-7102') order by id`);
    expect(rows.map((r) => `${r.itemId}:${r.conflicting}:${r.runId !== null}`)).toEqual(['7100:false:true', '7101:false:true', '7100:true:true', '-7102:false:false']);
    expect(new Set(rows.flatMap((r) => (r.runId === null ? [] : [r.runId]))).size).toBe(3);
  });
});

describe('the collector', () => {
  it('stores requests that wait behind a store in groups within its cap, each answered its own outcomes', async () => {
    const inbox = groupCommitInbox(db.orm, { maxItems: 3, maxBytes: 1024 * 1024 });
    const store = (id: number) => inbox.store({ ...request(), ackMs: () => 1 }, items([takedownEvent(id, 1)]));
    const locker = await connect(databaseUrl(testDatabaseName(FILE)));
    try {
      let answers: Promise<unknown>[] = [];
      await locker.orm.transaction(async (tx) => {
        await tx.execute(sql`lock table events_inbox in access exclusive mode`);
        answers = [store(7800)];
        await until(() => inbox.stats.groups === 1);
        answers.push(...[7801, 7802, 7803, 7804, 7805].map(store));
        expect(inbox.stats.groups).toBe(1);
      });
      const outcomes = (await Promise.all(answers)) as { outcome: string; id: number }[][];
      expect(outcomes.map((o) => o.map((i) => i.outcome))).toEqual(Array.from({ length: 6 }, () => ['stored']));
      expect(inbox.stats).toEqual({ groups: 3, requests: 6 });
      const rows = await query<{ id: number; itemId: string }>(db.orm, sql`select id::integer as id, item_id as "itemId" from events_inbox where item_id like '78__' order by id`);
      expect(rows.map((r) => `${r.itemId}:${r.id}`)).toEqual(outcomes.map((o, k) => `${7800 + k}:${o[0]!.id}`));
    } finally {
      await locker.close();
    }
  });
});

describe('the receiver under concurrent requests', () => {
  it('stores 200 requests at once, overlapping duplicates included, each item once, in far fewer commits', async () => {
    const before = { ...rx.receiver.groups };
    const bodies = Array.from({ length: 200 }, (_, k) => [
      releaseEvent(7200 + (k % 50), 1),
      takedownEvent(7300 + (k % 30), 1),
      ...(k % 7 === 0 ? [takedownEvent(7300 + (k % 30), 1)] : []),
      releaseEvent(7400, 1, { title: `Title ${k % 2}` }),
    ]);
    const tokens = await Promise.all(bodies.map(() => signToken(rx.keys)));
    const answers = await Promise.all(bodies.map((body, k) => postEvent(rx.url(), body, { token: tokens[k]! })));
    expect(answers.map((a) => a.status).filter((s) => s !== 202 && s !== 200)).toEqual([]);
    const outcomes = answers.map((a) => (JSON.parse(a.body) as Answer).items);
    outcomes.forEach((answer, k) => expect(answer.map((i) => i.index)).toEqual(bodies[k]!.map((_, i) => i)));
    // 50 + 30 + 2 different items: each stored by exactly one place, every other place a duplicate.
    const stored = outcomes.flat().filter((i) => i.status === 'stored');
    expect(stored.length).toBe(82);
    expect(outcomes.flat().filter((i) => i.status === 'duplicate').length).toBe(outcomes.flat().length - 82);
    expect(stored.filter((i) => i.conflicting).length).toBe(1);
    // A body's own repeat of an item is never stored twice.
    outcomes.forEach((answer, k) => {
      if (k % 7 === 0) expect(answer[2]!.status).toBe('duplicate');
    });
    const rows = await query<{ id: number; runs: number }>(db.orm, sql`
      select e.id::integer as id, (select count(*)::integer from feed_runs r where r.id = e.run_id) as runs
      from events_inbox e where e.item_id::integer between 7200 and 7400 order by e.id`);
    expect(rows.map((r) => r.id)).toEqual(stored.map((i) => i.id).sort((a, b) => a! - b!));
    expect(rows.every((r) => r.runs === 1)).toBe(true);
    const groups = rx.receiver.groups.groups - before.groups;
    expect(rx.receiver.groups.requests - before.requests).toBe(200);
    expect(groups).toBeLessThan(100);
    await rx.dispatcher.idle();
  });

  it('fails every request of a group that fails, and stores none of it', async () => {
    await db.orm.execute(sql.raw(`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin if new.item_id = '7666' then raise exception 'poisoned item'; end if; return new; end $$;
      create trigger refuse_poison before insert on events_inbox for each row execute function refuse_poison()`));
    const locker = await connect(databaseUrl(testDatabaseName(FILE)));
    try {
      const before = rx.receiver.groups.groups;
      const post = async (body: object[]) => postEvent(rx.url(), body, { token: await signToken(rx.keys) });
      let first: Promise<{ status: number }> | undefined;
      let rest: Promise<{ status: number }>[] = [];
      // The inbox locked: the first group waits in its store while the others queue behind it.
      await locker.orm.transaction(async (tx) => {
        await tx.execute(sql`lock table events_inbox in access exclusive mode`);
        first = post([takedownEvent(7600, 1)]);
        await until(() => rx.receiver.groups.groups === before + 1);
        rest = [post([takedownEvent(7601, 1)]), post([releaseEvent(7602, 1)]), post([takedownEvent(7603, 1), takedownEvent(7666, 1)])];
        await new Promise((resolve) => setTimeout(resolve, 500));
      });
      expect((await first!).status).toBe(202);
      expect((await Promise.all(rest)).map((r) => r.status)).toEqual([503, 503, 503]);
      expect(rx.receiver.groups.groups).toBe(before + 2);
      const rows = await query<{ itemId: string }>(db.orm, sql`select item_id as "itemId" from events_inbox where item_id like '76__' order by id`);
      expect(rows.map((r) => r.itemId)).toEqual(['7600']);
    } finally {
      await locker.close();
      await db.orm.execute(sql.raw('drop trigger refuse_poison on events_inbox; drop function refuse_poison()'));
    }
  });

  it('drops a request answered 503 while it waited for its group, so an unanswering store holds no bodies', async () => {
    const slow = await startTestReceiver(db, { storeTimeoutMs: 800 });
    const locker = await connect(databaseUrl(testDatabaseName(FILE)));
    try {
      const post = async (body: object[]) => postEvent(slow.url(), body, { token: await signToken(slow.keys) });
      await locker.orm.transaction(async (tx) => {
        await tx.execute(sql`lock table events_inbox in access exclusive mode`);
        const first = post([takedownEvent(7700, 1)]);
        await until(() => slow.receiver.groups.groups === 1);
        expect((await post([takedownEvent(7701, 1)])).status).toBe(503);
        expect((await first).status).toBe(503);
      });
      // The group in flight when the answers went still commits; the one that waited never forms.
      await until(() => slow.receiver.groups.groups === 1);
      const rows = async () => query<{ itemId: string }>(db.orm, sql`select item_id as "itemId" from events_inbox where item_id like '77__' order by id`);
      for (let i = 0; i < 100 && (await rows()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await rows()).map((r) => r.itemId)).toEqual(['7700']);
      expect(slow.receiver.groups.groups).toBe(1);
    } finally {
      await locker.close();
      await slow.close();
    }
  });
});
