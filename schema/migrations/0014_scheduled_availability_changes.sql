ALTER TABLE "scheduled_takedowns" RENAME TO "scheduled_availability_changes";--> statement-breakpoint
ALTER SEQUENCE "scheduled_takedowns_id_seq" RENAME TO "scheduled_availability_changes_id_seq";--> statement-breakpoint
ALTER TABLE "scheduled_availability_changes" RENAME CONSTRAINT "scheduled_takedowns_pkey" TO "scheduled_availability_changes_pkey";--> statement-breakpoint
ALTER TABLE "scheduled_availability_changes" RENAME CONSTRAINT "scheduled_takedowns_run_id_feed_runs_id_fk" TO "scheduled_availability_changes_run_id_feed_runs_id_fk";--> statement-breakpoint
ALTER TABLE "scheduled_availability_changes" RENAME CONSTRAINT "scheduled_takedowns_status_check" TO "scheduled_availability_changes_status_check";--> statement-breakpoint
ALTER TABLE "scheduled_availability_changes" RENAME CONSTRAINT "scheduled_takedowns_target_status_check" TO "scheduled_availability_changes_target_status_check";--> statement-breakpoint
ALTER INDEX "scheduled_takedowns_due_idx" RENAME TO "scheduled_availability_changes_due_idx";--> statement-breakpoint
ALTER INDEX "scheduled_takedowns_item_idx" RENAME TO "scheduled_availability_changes_item_idx";--> statement-breakpoint
ALTER TRIGGER "scheduled_takedowns_gate_insert" ON "scheduled_availability_changes" RENAME TO "scheduled_availability_changes_gate_insert";--> statement-breakpoint
ALTER TRIGGER "scheduled_takedowns_gate_update" ON "scheduled_availability_changes" RENAME TO "scheduled_availability_changes_gate_update";
