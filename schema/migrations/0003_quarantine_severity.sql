ALTER TABLE "quarantine" ADD COLUMN "severity" text DEFAULT 'quarantined' NOT NULL;--> statement-breakpoint
ALTER TABLE "takedown_audit" ADD COLUMN "warnings" text;