CREATE TABLE "ddex_acks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" bigint NOT NULL,
	"outcome" text NOT NULL,
	"batch_dir" text NOT NULL,
	"batch_id" text NOT NULL,
	"message_file" text NOT NULL,
	"file_sha256" text NOT NULL,
	"ack_path" text NOT NULL,
	"ack_message_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"written_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "ddex_acks" ADD CONSTRAINT "ddex_acks_run_id_feed_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."feed_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ddex_acks_message_outcome" ON "ddex_acks" USING btree ("batch_dir","message_file","file_sha256","outcome");--> statement-breakpoint
CREATE UNIQUE INDEX "ddex_acks_path" ON "ddex_acks" USING btree ("ack_path");--> statement-breakpoint
CREATE INDEX "ddex_acks_batch_idx" ON "ddex_acks" USING btree ("batch_dir");