ALTER TABLE "feed_batches" ADD CONSTRAINT "feed_batches_status_check" CHECK ("feed_batches"."status" in ('pending', 'applied', 'failed'));--> statement-breakpoint
ALTER TABLE "feed_runs" ADD CONSTRAINT "feed_runs_status_check" CHECK ("feed_runs"."status" in ('parsing', 'applying', 'applied', 'rejected', 'failed'));--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_severity_check" CHECK ("quarantine"."severity" in ('quarantined', 'possible_takedown', 'warning'));--> statement-breakpoint
ALTER TABLE "alert_events" ADD CONSTRAINT "alert_events_state_check" CHECK ("alert_events"."state" in ('warning', 'breach', 'resolved'));--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_state_check" CHECK ("alerts"."state" in ('warning', 'breach', 'resolved'));--> statement-breakpoint
ALTER TABLE "feed_fetches" ADD CONSTRAINT "feed_fetches_status_check" CHECK ("feed_fetches"."status" in ('pending', 'fetched', 'missing', 'failed'));--> statement-breakpoint
ALTER TABLE "scheduled_takedowns" ADD CONSTRAINT "scheduled_takedowns_status_check" CHECK ("scheduled_takedowns"."status" in ('pending', 'applied', 'superseded'));--> statement-breakpoint
ALTER TABLE "scheduled_takedowns" ADD CONSTRAINT "scheduled_takedowns_target_status_check" CHECK ("scheduled_takedowns"."target_status" in ('live', 'taken_down'));--> statement-breakpoint
ALTER TABLE "events_inbox" ADD CONSTRAINT "events_inbox_status_check" CHECK ("events_inbox"."status" in ('pending', 'waiting', 'applied', 'stale', 'test', 'rejected'));