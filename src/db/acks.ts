// Acknowledging an open alert (`feedline alerts ack`): recorded against the alert's current
// opening (schema/acks.ts), so a later re-opening of the same subject is news again.
import { sql } from 'drizzle-orm';
import { query, type Orm } from './client.js';
import type { AlertState } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

export interface AckResult {
  subject: string;
  kind: string;
  state: AlertState;
}

/** Acknowledges the open alert `subject`; undefined when no such alert is open. */
export async function acknowledgeAlert(db: Executor, ack: { subject: string; by: string; note: string | undefined }): Promise<AckResult | undefined> {
  const [row] = await query<AckResult>(db, sql`
    with target as (select subject, kind, state, opened_at from alerts where subject = ${ack.subject} and state <> 'resolved'),
    acked as (
      insert into alert_acks (subject, opened_at, acknowledged_by, note, acknowledged_at)
      select subject, opened_at, ${ack.by}, ${ack.note ?? null}, now() from target
      on conflict (subject) do update set opened_at = excluded.opened_at, acknowledged_by = excluded.acknowledged_by,
        note = excluded.note, acknowledged_at = excluded.acknowledged_at
      returning subject
    )
    select t.subject, t.kind, t.state from target t join acked using (subject)`);
  return row;
}

/** True when the open alert `subject` is acknowledged (its escalation is recorded, not announced). */
export async function isAcknowledged(db: Executor, subject: string): Promise<boolean> {
  const [row] = await query<{ acked: boolean }>(db, sql`
    select exists (select 1 from alerts a join alert_acks k on k.subject = a.subject and k.opened_at = a.opened_at
      where a.subject = ${subject} and a.state <> 'resolved') as acked`);
  return Boolean(row?.acked);
}
