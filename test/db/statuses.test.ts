// The status lists of src/catalogue/statuses.ts are the database's CHECK constraints (migration
// 0011): a value outside the list is refused by the database, and each constraint allows
// exactly its list, no more and no less.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import {
  ALERT_STATES, BATCH_STATUSES, CATALOGUE_STATUSES, FETCH_STATUSES, INBOX_STATUSES, QUARANTINE_SEVERITIES, RUN_STATUSES,
  SCHEDULED_CHANGE_STATUSES,
} from '../../src/catalogue/statuses.js';
import { coerceError } from '../../src/errors.js';
import { connect, freshDatabase } from '../helpers/db.js';

let db: Database;

beforeAll(async () => {
  db = await connect(await freshDatabase(import.meta.filename));
});
afterAll(async () => db.close());

const CONSTRAINTS: Record<string, readonly string[]> = {
  feed_runs_status_check: RUN_STATUSES,
  feed_batches_status_check: BATCH_STATUSES,
  quarantine_severity_check: QUARANTINE_SEVERITIES,
  feed_fetches_status_check: FETCH_STATUSES,
  alerts_state_check: ALERT_STATES,
  alert_events_state_check: ALERT_STATES,
  scheduled_availability_changes_status_check: SCHEDULED_CHANGE_STATUSES,
  scheduled_availability_changes_target_status_check: CATALOGUE_STATUSES,
  events_inbox_status_check: INBOX_STATUSES,
};

/** The SQLSTATE a statement fails with. */
async function failure(statement: ReturnType<typeof sql>): Promise<string | undefined> {
  try {
    await query(db.orm, statement);
  } catch (err) {
    return (coerceError(err) as { code?: string }).code;
  }
  return undefined;
}

describe('status columns accept only their declared values', () => {
  it('each CHECK constraint allows exactly the TypeScript list', async () => {
    const rows = await query<{ name: string; definition: string }>(db.orm, sql`
      select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint where contype = 'c' and conname like '%_check'`);
    const found = Object.fromEntries(rows.map((r) => [r.name, [...r.definition.matchAll(/'([^']*)'/g)].map((m) => m[1]).sort()]));
    for (const [name, values] of Object.entries(CONSTRAINTS)) expect(found[name], name).toEqual([...values].sort());
  });

  it('an unknown alert state is a check violation', async () => {
    expect(await failure(sql`insert into alerts (subject, kind, state, message) values ('s', 'sla', 'exploded', 'm')`)).toBe('23514');
    expect(await failure(sql`insert into alerts (subject, kind, state, message) values ('s', 'sla', 'breach', 'm')`)).toBeUndefined();
  });

  it('an unknown fetch status is a check violation', async () => {
    expect(await failure(sql`insert into feed_fetches (source, entity, kind, country, feed_date, status)
      values ('7digital', 'track', 'updates', 'GB', '2026-11-02', 'lost')`)).toBe('23514');
  });

  it('an unknown run status is a check violation', async () => {
    expect(await failure(sql`insert into feed_runs (source, entity, kind, country, feed_date, published_at, file_name, file_sha256,
        file_bytes, archive_path, status, version_base, batch_size)
      values ('7digital', 'track', 'updates', 'GB', '2026-11-02', now(), 'f', 'sha', 1, '/a', 'running', 0, 1)`)).toBe('23514');
  });
});
