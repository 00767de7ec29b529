CREATE TABLE "events_inbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"endpoint" text NOT NULL,
	"item_id" text,
	"version" bigint,
	"takedown" boolean DEFAULT false NOT NULL,
	"content_sha256" text NOT NULL,
	"body" text NOT NULL,
	"bytes" integer NOT NULL,
	"gzip" boolean DEFAULT false NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"jwt_iat" timestamp with time zone,
	"jwt_jti" text,
	"conflicting" boolean DEFAULT false NOT NULL,
	"http_status" integer NOT NULL,
	"ack_ms" real,
	"status" text NOT NULL,
	"reason" text,
	"run_id" bigint,
	"attempts" integer DEFAULT 0 NOT NULL,
	"result" jsonb,
	"applied_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "track_enhancements" (
	"source" text NOT NULL,
	"track_id" text NOT NULL,
	"version" bigint NOT NULL,
	"data" jsonb NOT NULL,
	"inbox_id" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "track_enhancements_source_track_id_pk" PRIMARY KEY("source","track_id")
);
--> statement-breakpoint
ALTER TABLE "events_inbox" ADD CONSTRAINT "events_inbox_run_id_feed_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."feed_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "events_inbox_once" ON "events_inbox" USING btree ("endpoint","item_id","version","content_sha256");--> statement-breakpoint
CREATE INDEX "events_inbox_item_idx" ON "events_inbox" USING btree ("endpoint","item_id","version");--> statement-breakpoint
CREATE INDEX "events_inbox_open_idx" ON "events_inbox" USING btree ("status") WHERE "events_inbox"."status" in ('pending', 'waiting');--> statement-breakpoint
CREATE INDEX "events_inbox_received_idx" ON "events_inbox" USING btree ("received_at");