CREATE TABLE "artists" (
	"source" text NOT NULL,
	"country" text NOT NULL,
	"id" text NOT NULL,
	"status" text NOT NULL,
	"takedown_reason" text,
	"change_version" bigint NOT NULL,
	"taken_down_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"run_id" bigint,
	"raw" jsonb,
	"name" text,
	"popularity" real,
	"tags" text[],
	"image" text,
	"url" text,
	CONSTRAINT "artists_source_country_id_pk" PRIMARY KEY("source","country","id")
);
--> statement-breakpoint
CREATE TABLE "releases" (
	"source" text NOT NULL,
	"country" text NOT NULL,
	"id" text NOT NULL,
	"status" text NOT NULL,
	"takedown_reason" text,
	"change_version" bigint NOT NULL,
	"taken_down_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"run_id" bigint,
	"raw" jsonb,
	"title" text,
	"version_title" text,
	"artist_id" text,
	"artist_appears_as" text,
	"barcode" text,
	"type" text,
	"year" integer,
	"explicit" boolean,
	"track_count" integer,
	"duration_seconds" integer,
	"tags" text[],
	"licensor_id" text,
	"image" text,
	"date_added" timestamp with time zone,
	"release_date" timestamp with time zone,
	"label_id" text,
	"label_name" text,
	"formats" text,
	"price" numeric(12, 4),
	"rrp" numeric(12, 4),
	"url" text,
	"display_title" text,
	CONSTRAINT "releases_source_country_id_pk" PRIMARY KEY("source","country","id")
);
--> statement-breakpoint
CREATE TABLE "tracks" (
	"source" text NOT NULL,
	"country" text NOT NULL,
	"id" text NOT NULL,
	"status" text NOT NULL,
	"takedown_reason" text,
	"change_version" bigint NOT NULL,
	"taken_down_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"run_id" bigint,
	"raw" jsonb,
	"title" text,
	"version_title" text,
	"type" text,
	"isrc" text,
	"explicit" boolean,
	"track_number" integer,
	"disc_number" integer,
	"artist_id" text,
	"artist_appears_as" text,
	"release_id" text,
	"duration_seconds" integer,
	"formats" text,
	"price" numeric(12, 4),
	"rrp" numeric(12, 4),
	"url" text,
	"popularity" real,
	"streaming_release_date" timestamp with time zone,
	"licensor_id" text,
	"display_title" text,
	CONSTRAINT "tracks_source_country_id_pk" PRIMARY KEY("source","country","id")
);
--> statement-breakpoint
CREATE TABLE "feed_batches" (
	"run_id" bigint NOT NULL,
	"seq" integer NOT NULL,
	"first_line" integer NOT NULL,
	"last_line" integer NOT NULL,
	"rows" integer NOT NULL,
	"inserts" integer DEFAULT 0 NOT NULL,
	"updates" integer DEFAULT 0 NOT NULL,
	"deletes" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"inserted" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"taken_down" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"quarantined" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_at" timestamp with time zone,
	CONSTRAINT "feed_batches_run_id_seq_pk" PRIMARY KEY("run_id","seq")
);
--> statement-breakpoint
CREATE TABLE "feed_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"entity" text NOT NULL,
	"kind" text NOT NULL,
	"country" text NOT NULL,
	"feed_date" date NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"file_name" text NOT NULL,
	"file_sha256" text NOT NULL,
	"file_bytes" bigint NOT NULL,
	"archive_path" text NOT NULL,
	"status" text NOT NULL,
	"forced" boolean DEFAULT false NOT NULL,
	"version_base" bigint NOT NULL,
	"batch_size" integer NOT NULL,
	"rows" integer DEFAULT 0 NOT NULL,
	"inserted" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"taken_down" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"quarantined" integer DEFAULT 0 NOT NULL,
	"batches_total" integer,
	"batches_applied" integer DEFAULT 0 NOT NULL,
	"error" text,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"parsed_at" timestamp with time zone,
	"applied_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "quarantine" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" bigint NOT NULL,
	"line" integer NOT NULL,
	"column" integer,
	"field" text,
	"raw" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "takedown_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" bigint,
	"entity" text NOT NULL,
	"source" text NOT NULL,
	"country" text NOT NULL,
	"item_id" text NOT NULL,
	"line" integer,
	"reason" text NOT NULL,
	"published_at" timestamp with time zone,
	"received_at" timestamp with time zone,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subject" text NOT NULL,
	"kind" text NOT NULL,
	"state" text NOT NULL,
	"message" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"subject" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"state" text NOT NULL,
	"message" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "feed_cursors" (
	"source" text NOT NULL,
	"entity" text NOT NULL,
	"kind" text NOT NULL,
	"country" text NOT NULL,
	"last_applied_date" date,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "feed_cursors_source_entity_kind_country_pk" PRIMARY KEY("source","entity","kind","country")
);
--> statement-breakpoint
CREATE TABLE "feed_fetches" (
	"source" text NOT NULL,
	"entity" text NOT NULL,
	"kind" text NOT NULL,
	"country" text NOT NULL,
	"feed_date" date NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"last_http_status" integer,
	"run_id" bigint,
	"first_attempt_at" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "feed_fetches_source_entity_kind_country_feed_date_pk" PRIMARY KEY("source","entity","kind","country","feed_date")
);
--> statement-breakpoint
CREATE TABLE "scheduled_takedowns" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"entity" text NOT NULL,
	"source" text NOT NULL,
	"country" text NOT NULL,
	"item_id" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"change_version" bigint NOT NULL,
	"reason" text NOT NULL,
	"run_id" bigint,
	"status" text DEFAULT 'pending' NOT NULL,
	"applied_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "feed_batches" ADD CONSTRAINT "feed_batches_run_id_feed_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."feed_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_run_id_feed_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."feed_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "takedown_audit" ADD CONSTRAINT "takedown_audit_run_id_feed_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."feed_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feed_fetches" ADD CONSTRAINT "feed_fetches_run_id_feed_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."feed_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduled_takedowns" ADD CONSTRAINT "scheduled_takedowns_run_id_feed_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."feed_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tracks_release_idx" ON "tracks" USING btree ("source","release_id");--> statement-breakpoint
CREATE INDEX "tracks_isrc_idx" ON "tracks" USING btree ("isrc");--> statement-breakpoint
CREATE INDEX "feed_batches_pending_idx" ON "feed_batches" USING btree ("status") WHERE "feed_batches"."status" <> 'applied';--> statement-breakpoint
CREATE UNIQUE INDEX "feed_runs_content_once" ON "feed_runs" USING btree ("file_sha256","source","entity","kind","country","feed_date") WHERE not "feed_runs"."forced" and "feed_runs"."status" <> 'rejected';--> statement-breakpoint
CREATE INDEX "feed_runs_feed_idx" ON "feed_runs" USING btree ("source","entity","kind","country","feed_date");--> statement-breakpoint
CREATE INDEX "feed_runs_status_idx" ON "feed_runs" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "quarantine_run_line" ON "quarantine" USING btree ("run_id","line","reason");--> statement-breakpoint
CREATE INDEX "takedown_audit_applied_idx" ON "takedown_audit" USING btree ("applied_at");--> statement-breakpoint
CREATE INDEX "takedown_audit_run_idx" ON "takedown_audit" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "alert_events_created_idx" ON "alert_events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "scheduled_takedowns_due_idx" ON "scheduled_takedowns" USING btree ("due_at") WHERE "scheduled_takedowns"."status" = 'pending';