// What `feedline events` and /metrics say about Catalogue Events, from the inbox.
import { sql } from 'drizzle-orm';
import { query, type Orm } from './client.js';
import type { InboxStatus } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

export interface EventSummary {
  since: string;
  received: number;
  applied: number;
  stale: number;
  rejected: number;
  test: number;
  pending: number;
  waiting: number;
  conflicting: number;
  /** Seconds from receipt to apply, over events applied or stale in the window. */
  lagSeconds: { p50: number | null; p95: number | null; max: number | null };
  /** Age in seconds of the oldest event not applied yet (any time). */
  oldestOpenSeconds: number | null;
}

export async function eventSummary(db: Executor, since: Date): Promise<EventSummary> {
  const [row] = await query<Omit<EventSummary, 'since' | 'lagSeconds'> & { p50: number | null; p95: number | null; max: number | null }>(db, sql`
    select count(*)::integer as received,
      count(*) filter (where status = 'applied')::integer as applied,
      count(*) filter (where status = 'stale')::integer as stale,
      count(*) filter (where status = 'rejected')::integer as rejected,
      count(*) filter (where status = 'test')::integer as test,
      count(*) filter (where status = 'pending')::integer as pending,
      count(*) filter (where status = 'waiting')::integer as waiting,
      count(*) filter (where conflicting)::integer as conflicting,
      percentile_cont(0.5) within group (order by extract(epoch from applied_at - received_at)) filter (where applied_at is not null) as p50,
      percentile_cont(0.95) within group (order by extract(epoch from applied_at - received_at)) filter (where applied_at is not null) as p95,
      max(extract(epoch from applied_at - received_at))::float8 as max,
      (select extract(epoch from now() - min(received_at))::float8 from events_inbox where status in ('pending', 'waiting')) as "oldestOpenSeconds"
    from events_inbox where received_at >= ${since.toISOString()}::timestamptz`);
  const r = row!;
  return {
    since: since.toISOString(),
    received: r.received, applied: r.applied, stale: r.stale, rejected: r.rejected, test: r.test,
    pending: r.pending, waiting: r.waiting, conflicting: r.conflicting,
    lagSeconds: { p50: r.p50 === null ? null : Number(r.p50), p95: r.p95 === null ? null : Number(r.p95), max: r.max },
    oldestOpenSeconds: r.oldestOpenSeconds,
  };
}

/** Recent rejected events with their reasons, newest first. */
export async function rejectedEvents(db: Executor, since: Date, limit: number): Promise<{ id: number; endpoint: string; receivedAt: Date; reason: string }[]> {
  return query(db, sql`
    select id::integer as id, endpoint, received_at as "receivedAt", reason from events_inbox
    where status = 'rejected' and received_at >= ${since.toISOString()}::timestamptz order by id desc limit ${limit}`);
}

/** For /metrics: events by status and the HTTP status we answered. */
export async function eventCountsByOutcome(db: Executor): Promise<{ status: InboxStatus; httpStatus: number; n: number }[]> {
  return query(db, sql`
    select status, http_status as "httpStatus", count(*)::integer as n from events_inbox group by status, http_status order by status, http_status`);
}

/** For /metrics: acknowledgement latency (ms to store) as cumulative bucket counts. */
export async function eventAckBuckets(db: Executor, bucketsMs: readonly number[]): Promise<{ counts: number[]; count: number; sum: number }> {
  const filters = bucketsMs.map((b, i) => sql`count(*) filter (where ack_ms <= ${b})::integer as ${sql.raw(`b${i}`)}`);
  const [row] = await query<Record<string, number>>(db, sql`
    select ${sql.join(filters, sql`, `)}, count(*)::integer as count, coalesce(sum(ack_ms), 0)::float8 as sum
    from events_inbox where ack_ms is not null`);
  return { counts: bucketsMs.map((_, i) => Number(row?.[`b${i}`] ?? 0)), count: Number(row?.count ?? 0), sum: Number(row?.sum ?? 0) };
}
