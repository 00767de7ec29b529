// The play log: every play a calling service posts, with when we received it (the backup
// record the compliance terms ask for), when the provider accepted it, or why it refused it.
import { sql } from 'drizzle-orm';
import { plays } from '../../schema/gate.js';
import { query, type Orm } from './client.js';

type Db = Pick<Orm, 'execute' | 'insert'>;

export interface PlayInput {
  userId: string;
  source: string;
  trackId: string;
  releaseId: string;
  country: string;
  playedAt: Date;
  totalTimePlayed: number;
  endReason: 'naturalEnd' | 'userSkipped' | 'other';
}

export interface StoredPlay extends PlayInput {
  id: number;
  /** Forwarding attempts so far. */
  attempts: number;
}

export async function insertPlays(db: Db, caller: string, batch: readonly PlayInput[]): Promise<number[]> {
  if (batch.length === 0) return [];
  const rows = await db.insert(plays).values(batch.map((p) => ({ ...p, caller }))).returning({ id: plays.id });
  return rows.map((r) => r.id);
}

/**
 * Takes up to `limit` plays due for forwarding and holds them for `holdMs`, so that other
 * gates forwarding at the same time skip them; a forwarder that dies releases them when the
 * hold runs out. Parameters: limit, holdMs.
 */
export async function claimDuePlays(db: Db, limit: number, holdMs: number): Promise<StoredPlay[]> {
  const rows = await query<{ id: number; user_id: string; source: string; track_id: string; release_id: string; country: string; played_at: Date; total_time_played: number; end_reason: PlayInput['endReason']; attempts: number }>(db, sql`
    update plays set claimed_until = now() + ${holdMs} * interval '1 millisecond'
    where id in (
      select id from plays
      where forwarded_at is null and rejected_at is null and next_attempt_at <= now()
        and (claimed_until is null or claimed_until < now())
      order by id limit ${limit}
      for update skip locked)
    returning id, user_id, source, track_id, release_id, country, played_at, total_time_played, end_reason, attempts`);
  return rows.map((r) => ({
    id: r.id, userId: r.user_id, source: r.source, trackId: r.track_id, releaseId: r.release_id, country: r.country,
    playedAt: r.played_at, totalTimePlayed: r.total_time_played, endReason: r.end_reason, attempts: r.attempts,
  })).sort((a, b) => a.id - b.id);
}

/** The provider accepted these plays now. */
export async function markForwarded(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(sql`update plays set forwarded_at = now(), claimed_until = null, attempts = attempts + 1, last_error = null
    where id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`);
}

/** The provider refused this play for good: kept with the reason, never retried. */
export async function markRejected(db: Db, id: number, reason: string): Promise<void> {
  await db.execute(sql`update plays set rejected_at = now(), rejected_reason = ${reason}, claimed_until = null, attempts = attempts + 1
    where id = ${id}`);
}

/** A failure that may pass (5xx, 429, network): try again after `delayMs`. */
export async function markRetry(db: Db, ids: readonly number[], error: string, delayMs: number): Promise<void> {
  if (ids.length === 0) return;
  await db.execute(sql`update plays set attempts = attempts + 1, last_error = ${error}, claimed_until = null,
      next_attempt_at = now() + ${delayMs} * interval '1 millisecond'
    where id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`);
}

export interface PlayReportRow {
  source: string;
  trackId: string;
  country: string;
  plays: number;
  forwarded: number;
  rejected: number;
  pending: number;
  firstPlayedAt: string;
  lastPlayedAt: string;
  firstLoggedAt: string;
  lastLoggedAt: string;
  lastForwardedAt: string | null;
}

/** Plays per track and country whose play time falls in [from, to). Parameters: from, to. */
export async function playsReport(db: Db, from: Date, to: Date): Promise<PlayReportRow[]> {
  const rows = await query<Record<string, unknown>>(db, sql`
    select source, track_id, country, count(*)::int as plays,
      count(forwarded_at)::int as forwarded, count(rejected_at)::int as rejected,
      count(*) filter (where forwarded_at is null and rejected_at is null)::int as pending,
      min(played_at) as first_played_at, max(played_at) as last_played_at,
      min(received_at) as first_logged_at, max(received_at) as last_logged_at, max(forwarded_at) as last_forwarded_at
    from plays where played_at >= ${from.toISOString()} and played_at < ${to.toISOString()}
    group by source, track_id, country order by source, track_id, country`);
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : null);
  return rows.map((r) => ({
    source: r.source as string, trackId: r.track_id as string, country: r.country as string,
    plays: Number(r.plays), forwarded: Number(r.forwarded), rejected: Number(r.rejected), pending: Number(r.pending),
    firstPlayedAt: iso(r.first_played_at)!, lastPlayedAt: iso(r.last_played_at)!,
    firstLoggedAt: iso(r.first_logged_at)!, lastLoggedAt: iso(r.last_logged_at)!, lastForwardedAt: iso(r.last_forwarded_at),
  }));
}
