// The Catalogue Events inbox in PostgreSQL (schema/events.ts). The items of an accepted request
// are stored, each with its own run of kind `event` (src/db/runs.ts createRuns), in one transaction (shared by the
// requests of one group commit), so the SLA clock, the takedown evidence,
// `feedline report`, `feedline sla` and /metrics see it as they see a feed run: published at
// its receipt (or the token's iat when earlier), applied when its apply commits.
import { sql } from 'drizzle-orm';
import { pgArray } from './array-param.js';
import { query, type Orm } from './client.js';
import { createRuns, rejectRuns, type NewRun, type Registered, type Run } from './runs.js';
import type { InboxStatus } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

/** What a request carried besides its items: one per request, shared by every item of it. */
export interface IncomingRequest {
  endpoint: 'standard' | 'enhanced';
  source: string;
  gzip: boolean;
  receivedAt: Date;
  iat: Date | undefined;
  jti: string | undefined;
  ackMs: number;
}

/** One item of a request, stored as its own event. */
export interface IncomingItem {
  itemId: string;
  version: bigint;
  /** Catalogue order of the event (src/events/version.ts). */
  changeVersion: bigint;
  takedown: boolean;
  test: boolean;
  /** The item's own JSON text, unknown fields kept. */
  body: string;
  sha256: string;
  bytes: number;
}

export type StoreOutcome =
  | { outcome: 'stored'; id: number; conflicting: boolean }
  | { outcome: 'duplicate' }
  | { outcome: 'test'; id: number | undefined };

/** One request's share of a grouped store: its items, stored as the request's own events. */
export interface RequestItems {
  request: IncomingRequest;
  items: readonly IncomingItem[];
}

/**
 * Stores every item of a request (each once) and, for each that is not a test event, its own
 * run with its pending batch (createRuns: a takedown states a delete, a snapshot an update);
 * the caller answers 2XX after this. Outcomes are in the items' order.
 */
export async function storeEvents(db: Orm, request: IncomingRequest, items: readonly IncomingItem[]): Promise<StoreOutcome[]> {
  const [outcomes] = await storeEventGroup(db, [{ request, items }]);
  return outcomes!;
}

/**
 * Stores the items of several requests in one transaction, one commit for all of them
 * (group commit: src/events/group-store.ts), so all of them or none: the inbox rows first,
 * in one statement, since only they know which items are new, then their runs, then the
 * link between them. The requests are taken in order, as if stored one after another: an
 * item already stored, or stored by an earlier place in the group, is a duplicate; a
 * different body under a version stored or placed earlier is flagged conflicting.
 * Outcomes per request, in its items' order.
 */
export async function storeEventGroup(db: Orm, group: readonly RequestItems[]): Promise<StoreOutcome[][]> {
  const input = JSON.stringify(group.flatMap(({ request, items }, req) => items.map((item, ord) => ({
    req, ord, endpoint: request.endpoint, gzip: request.gzip, received_at: request.receivedAt.toISOString(),
    jwt_iat: request.iat?.toISOString() ?? null, jwt_jti: request.jti ?? null, ack_ms: request.ackMs,
    item_id: item.itemId, version: item.version.toString(), takedown: item.takedown, test: item.test, body: item.body,
    sha256: item.sha256, bytes: item.bytes,
  }))));
  return db.transaction(async (tx) => {
    const rows = await query<{ req: number; ord: number; id: number; conflicting: boolean }>(tx, sql`
      with input as materialized (
        select * from jsonb_to_recordset(${input}::jsonb) as i(req integer, ord integer, endpoint text, gzip boolean,
          received_at timestamptz, jwt_iat timestamptz, jwt_jti text, ack_ms real, item_id text, version bigint, takedown boolean,
          test boolean, body text, sha256 text, bytes integer)
      ),
      stored as (
        insert into events_inbox (endpoint, item_id, version, takedown, content_sha256, body, bytes, gzip, received_at,
          jwt_iat, jwt_jti, conflicting, http_status, ack_ms, status)
        select i.endpoint, i.item_id, i.version, i.takedown, i.sha256, i.body, i.bytes, i.gzip, i.received_at, i.jwt_iat, i.jwt_jti,
          exists (select 1 from events_inbox o where o.endpoint = i.endpoint and o.item_id = i.item_id
            and o.version = i.version and o.content_sha256 <> i.sha256)
          or exists (select 1 from input p where p.endpoint = i.endpoint and p.item_id = i.item_id and p.version = i.version
            and p.sha256 <> i.sha256 and (p.req, p.ord) < (i.req, i.ord)),
          case when i.test then 200 else 202 end, i.ack_ms, case when i.test then 'test' else 'pending' end
        from input i order by i.req, i.ord
        on conflict (endpoint, item_id, version, content_sha256) do nothing
        returning id, conflicting, endpoint, item_id, version, content_sha256
      )
      -- The same item twice in the group is stored once, for its first place.
      select distinct on (s.id) i.req, i.ord, s.id::integer as id, s.conflicting from stored s
      join input i on i.endpoint = s.endpoint and i.item_id = s.item_id and i.version = s.version and i.sha256 = s.content_sha256
      order by s.id, i.req, i.ord`);
    const placed = new Map(rows.map((r) => [`${r.req}:${r.ord}`, r]));
    const rowOf = (req: number, ord: number) => placed.get(`${req}:${ord}`);
    const toRun = group.flatMap(({ request, items }, req) => items.flatMap((item, ord) => {
      const row = rowOf(req, ord);
      return row && !item.test ? [{ run: eventRun(request, items.length, item, ord, row), id: row.id }] : [];
    }));
    const registered = await createRuns(tx, toRun.map(({ run }) => run));
    await tx.execute(sql`
      update events_inbox e set run_id = l.run_id
      from jsonb_to_recordset(${JSON.stringify(toRun.map(({ id }, i) => ({ id, run_id: runOf(registered[i]!).id })))}::jsonb) as l(id bigint, run_id bigint)
      where e.id = l.id`);
    return group.map(({ items }, req) => items.map((item, ord): StoreOutcome => {
      const row = rowOf(req, ord);
      if (item.test) return { outcome: 'test', id: row?.id };
      return row ? { outcome: 'stored', id: row.id, conflicting: row.conflicting } : { outcome: 'duplicate' };
    }));
  });
}

function runOf(registered: Registered): Run {
  return registered.run ?? registered.duplicateOf;
}

/**
 * An accepted item's run: of its release or track, published at its receipt (or the token's
 * iat when earlier), its one batch pending until its apply commits.
 */
function eventRun(request: IncomingRequest, requestItems: number, item: IncomingItem, ord: number, stored: { id: number; conflicting: boolean }): NewRun {
  const receivedAt = request.receivedAt;
  const published = request.iat && request.iat < receivedAt ? request.iat : receivedAt;
  return {
    source: request.source, entity: request.endpoint === 'standard' ? 'release' : 'track', kind: 'event', country: 'WW',
    feedDate: receivedAt.toISOString().slice(0, 10), publishedAt: published,
    fileName: `event ${item.takedown ? 'takedown' : request.endpoint === 'standard' ? 'release' : 'enhanced'} ${item.itemId} v${item.version}`,
    fileSha256: item.sha256, fileBytes: item.bytes, archivePath: `events_inbox/${stored.id}`, forced: false,
    versionBase: item.changeVersion, batchSize: 1, createdAt: receivedAt,
    meta: { inboxId: stored.id, eventVersion: item.version.toString(), conflicting: stored.conflicting, requestItem: ord, requestItems },
    pending: { inserts: 0, updates: item.takedown ? 0 : 1, deletes: item.takedown ? 1 : 0 },
  };
}

export interface RejectedEvent {
  endpoint: 'standard' | 'enhanced';
  source: string;
  body: string;
  sha256: string;
  bytes: number;
  gzip: boolean;
  receivedAt: Date;
  reason: string;
  ackMs: number;
}

/**
 * Records a body we answer 400 to, with a rejected run so that it alerts as a rejected feed
 * does: the provider retries it and then parks it, and only an operator can redrive it.
 */
export async function storeRejected(db: Orm, event: RejectedEvent): Promise<void> {
  await db.transaction(async (tx) => {
    // Entity `event`, not release or track: the SLA sweep counts a rejected run as fixed once a
    // later run of the same feed and date applies, and any later event would look like one.
    const [registered] = await createRuns(tx, [{
      source: event.source, entity: 'event', kind: 'event', country: 'WW', feedDate: event.receivedAt.toISOString().slice(0, 10),
      publishedAt: event.receivedAt, fileName: `event ${event.endpoint} (rejected)`, fileSha256: event.sha256, fileBytes: event.bytes,
      archivePath: 'events_inbox', forced: false, versionBase: 0n, batchSize: 1, createdAt: event.receivedAt,
    }]);
    const run = runOf(registered!);
    await rejectRuns(tx, [{ runId: run.id, reason: event.reason }]);
    await tx.execute(sql`
      insert into events_inbox (endpoint, content_sha256, body, bytes, gzip, received_at, http_status, ack_ms, status, reason, run_id)
      values (${event.endpoint}, ${event.sha256}, ${event.body}, ${event.bytes}, ${event.gzip}, ${event.receivedAt.toISOString()}::timestamptz,
        400, ${event.ackMs}, 'rejected', ${event.reason}, ${run.id})`);
  });
}

/** An inbox row as the apply step reads it. */
export interface InboxEvent {
  id: number;
  endpoint: 'standard' | 'enhanced';
  itemId: string;
  version: string;
  body: string;
  runId: number;
  receivedAt: Date;
  status: InboxStatus;
  changeVersion: string;
}

/** Events to re-apply by `feedline events replay`: accepted ones received in [from, to). */
export async function eventsReceivedBetween(db: Executor, from: Date, to: Date): Promise<number[]> {
  const rows = await query<{ id: number }>(db, sql`
    select id::integer as id from events_inbox
    where run_id is not null and status in ('pending', 'waiting', 'applied', 'stale')
      and received_at >= ${from.toISOString()}::timestamptz and received_at < ${to.toISOString()}::timestamptz
    order by id`);
  return rows.map((r) => r.id);
}

/** Marks events open again for a replay (their runs go back to applying). */
export async function reopenEvents(db: Executor, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(sql`
    with reopened as (
      update events_inbox set status = 'pending', reason = null where id in (select unnest(${pgArray(ids)}::bigint[]))
      returning run_id
    )
    update feed_runs set status = 'applying', batches_applied = 0 where id in (select run_id from reopened)`);
  await db.execute(sql`update feed_batches set status = 'pending' where seq = 0 and run_id in (
    select run_id from events_inbox where id in (select unnest(${pgArray(ids)}::bigint[])))`);
}

/** Open events older than `olderThanSeconds`: what the sweep hands to apply again (a lost job, a waiting enhancement). */
export async function openEventIds(db: Executor, olderThanSeconds: number, limit: number): Promise<number[]> {
  const rows = await query<{ id: number }>(db, sql`
    select id::integer as id from events_inbox
    where status in ('pending', 'waiting') and received_at < now() - make_interval(secs => ${olderThanSeconds})
    order by id limit ${limit}`);
  return rows.map((r) => r.id);
}

export interface ApplyCounts {
  inserted: number;
  updated: number;
  takenDown: number;
  unchanged: number;
}

/** A stored catalogue row's territory and version. */
export interface StoredRow { id: string; country: string; version: string }

/** A stored release row: also its availability, which says whether a takedown is the newest word. */
export interface StoredReleaseRow extends StoredRow { status: string; reason: string | null }
