CREATE TABLE "ddex_release_keys" (
	"source" text NOT NULL,
	"key_kind" text NOT NULL,
	"key" text NOT NULL,
	"release_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ddex_release_keys_source_key_kind_key_pk" PRIMARY KEY("source","key_kind","key")
);
--> statement-breakpoint
CREATE TABLE "ddex_release_tracks" (
	"source" text NOT NULL,
	"release_id" text NOT NULL,
	"isrc" text NOT NULL,
	"deals" jsonb NOT NULL,
	"change_version" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ddex_release_tracks_source_release_id_isrc_pk" PRIMARY KEY("source","release_id","isrc")
);
--> statement-breakpoint
ALTER TABLE "scheduled_takedowns" ADD COLUMN "target_status" text DEFAULT 'taken_down' NOT NULL;--> statement-breakpoint
CREATE INDEX "ddex_release_keys_release_idx" ON "ddex_release_keys" USING btree ("source","release_id");--> statement-breakpoint
CREATE INDEX "ddex_release_tracks_isrc_idx" ON "ddex_release_tracks" USING btree ("source","isrc");--> statement-breakpoint
CREATE INDEX "scheduled_takedowns_item_idx" ON "scheduled_takedowns" USING btree ("source","entity","item_id") WHERE "scheduled_takedowns"."status" = 'pending';