// Every value a status column may hold, declared once: the TypeScript unions come from these
// lists and so do the tables' CHECK constraints (schema/checks.ts, migration 0011), so code
// and database cannot drift apart. Plain constants in the catalogue model: every layer, and schema/, may import them.

/** feed_runs.status. */
export const RUN_STATUSES = ['parsing', 'applying', 'applied', 'rejected', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** feed_batches.status. */
export const BATCH_STATUSES = ['pending', 'applied', 'failed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/**
 * quarantine.severity. `quarantined`: the row was not applied. `possible_takedown`: not
 * applied and it may be a takedown, so it alerts. `warning`: the row applied; its defect is on record.
 */
export const QUARANTINE_SEVERITIES = ['quarantined', 'possible_takedown', 'warning'] as const;
export type QuarantineSeverity = (typeof QUARANTINE_SEVERITIES)[number];

/** feed_fetches.status: where the scheduler's wish for a (feed, date) ended. */
export const FETCH_STATUSES = ['pending', 'fetched', 'missing', 'failed'] as const;
export type FetchStatus = (typeof FETCH_STATUSES)[number];

/** alerts.state and alert_events.state. */
export const ALERT_STATES = ['warning', 'breach', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** scheduled_availability_changes.status. */
export const SCHEDULED_CHANGE_STATUSES = ['pending', 'applied', 'superseded'] as const;
export type ScheduledChangeStatus = (typeof SCHEDULED_CHANGE_STATUSES)[number];

/** A catalogue row's availability; scheduled_availability_changes.target_status is the one it will take. */
export const CATALOGUE_STATUSES = ['live', 'taken_down'] as const;
export type CatalogueStatus = (typeof CATALOGUE_STATUSES)[number];

/** events_inbox.status; `waiting`: an enhancement whose track is not stored yet. */
export const INBOX_STATUSES = ['pending', 'waiting', 'applied', 'stale', 'test', 'rejected'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];
