// History, not news: a run applied late before this process started is put on record (the
// breach and its resolution in alert_events, the alert row resolved) without a log line
// at error level or a webhook, so the first `serve` on an existing database sends no storm.
import { sql } from 'drizzle-orm';
import { query, type Database } from '../db/client.js';
import type { AlertInput } from './alerts.js';

export async function recordLateRunQuietly(db: Database, breach: AlertInput, resolvedMessage: string, appliedAt: Date): Promise<void> {
  const details = JSON.stringify(breach.details ?? {});
  await query(db.orm, sql`
    with recorded as (
      insert into alerts (subject, kind, state, message, details, opened_at, updated_at, resolved_at)
      values (${breach.subject}, ${breach.kind}, 'resolved', ${resolvedMessage}, ${details}::jsonb, ${appliedAt.toISOString()}::timestamptz, now(), now())
      on conflict (subject) do nothing
      returning subject
    )
    insert into alert_events (subject, kind, state, message, details, created_at)
    select ${breach.subject}, ${breach.kind}, v.state, v.message, ${details}::jsonb, now()
    from recorded, (values (1, 'breach', ${breach.message}), (2, 'resolved', ${resolvedMessage})) as v(n, state, message)
    order by v.n`);
}
