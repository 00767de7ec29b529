// The alert ledger's writes (schema/operations.ts): `alerts` holds each subject's current
// state, `alert_events` every state it entered. Each statement decides and records at once,
// so concurrent callers raising the same state see exactly one change (src/sla/alerts.ts).
import { sql } from 'drizzle-orm';
import { query, type Orm } from './client.js';
import type { AlertState } from '../catalogue/statuses.js';

type Executor = Pick<Orm, 'execute'>;

export interface AlertEntry {
  subject: string;
  kind: string;
  state: Exclude<AlertState, 'resolved'>;
  message: string;
  details: Record<string, unknown>;
}

/**
 * Enters `alert.state` for its subject unless the subject is already in it or a higher one
 * (warning while in breach); returns when the change was recorded, undefined when nothing
 * changed. Parameters: the alert, and its time (null: the database's now()).
 */
export async function enterAlertState(db: Executor, alert: AlertEntry, at: string | null): Promise<{ at: Date } | undefined> {
  const [entered] = await query<{ at: Date }>(db, sql`
    with entered as (
      insert into alerts as a (subject, kind, state, message, details, opened_at, updated_at, resolved_at)
      values (${alert.subject}, ${alert.kind}, ${alert.state}, ${alert.message}, ${JSON.stringify(alert.details)}::jsonb,
        coalesce(${at}::timestamptz, now()), coalesce(${at}::timestamptz, now()), null)
      on conflict (subject) do update set
        kind = excluded.kind, state = excluded.state, message = excluded.message, details = excluded.details,
        updated_at = excluded.updated_at, resolved_at = null,
        opened_at = case when a.state = 'resolved' then excluded.opened_at else a.opened_at end
      where a.state = 'resolved' or (a.state = 'warning' and excluded.state = 'breach')
      returning subject, kind, state, message, details, updated_at
    )
    insert into alert_events (subject, kind, state, message, details, created_at)
    select subject, kind, state, message, details, updated_at from entered
    returning created_at as at`);
  return entered;
}

/**
 * Resolves an open subject; undefined when it was not open. Parameters: the subject, the
 * resolution message, and its time (null: the database's now()).
 */
export async function resolveAlertState(db: Executor, subject: string, message: string, at: string | null): Promise<{ kind: string; details: Record<string, unknown>; at: Date } | undefined> {
  const [cleared] = await query<{ kind: string; details: Record<string, unknown>; at: Date }>(db, sql`
    with cleared as (
      update alerts set state = 'resolved', message = ${message},
        updated_at = coalesce(${at}::timestamptz, now()), resolved_at = coalesce(${at}::timestamptz, now())
      where subject = ${subject} and state <> 'resolved'
      returning subject, kind, state, message, details, updated_at
    )
    insert into alert_events (subject, kind, state, message, details, created_at)
    select subject, kind, state, message, details, updated_at from cleared
    returning kind, details, created_at as at`);
  return cleared;
}

/** Rewrites an open alert's message and details quietly (no event: same condition). Parameters: subject, message, details. */
export async function updateOpenAlert(db: Executor, subject: string, message: string, details: Record<string, unknown>): Promise<void> {
  await query(db, sql`update alerts set message = ${message}, details = ${JSON.stringify(details)}::jsonb
    where subject = ${subject} and state <> 'resolved' and (message <> ${message})`);
}

/**
 * Records a breach and its resolution as history only, unless the subject has an alert row
 * already. Parameters: the breach, the resolution message, and when the alert opened.
 */
export async function recordResolvedBreach(db: Executor, breach: Omit<AlertEntry, 'state'>, resolvedMessage: string, openedAt: Date): Promise<void> {
  const details = JSON.stringify(breach.details);
  await query(db, sql`
    with recorded as (
      insert into alerts (subject, kind, state, message, details, opened_at, updated_at, resolved_at)
      values (${breach.subject}, ${breach.kind}, 'resolved', ${resolvedMessage}, ${details}::jsonb, ${openedAt.toISOString()}::timestamptz, now(), now())
      on conflict (subject) do nothing
      returning subject
    )
    insert into alert_events (subject, kind, state, message, details, created_at)
    select ${breach.subject}, ${breach.kind}, v.state, v.message, ${details}::jsonb, now()
    from recorded, (values (1, 'breach', ${breach.message}), (2, 'resolved', ${resolvedMessage})) as v(n, state, message)
    order by v.n`);
}
