CREATE TABLE "gate_nonces" (
	"nonce" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plays" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"caller" text NOT NULL,
	"user_id" text NOT NULL,
	"source" text NOT NULL,
	"track_id" text NOT NULL,
	"release_id" text NOT NULL,
	"country" text NOT NULL,
	"played_at" timestamp with time zone NOT NULL,
	"total_time_played" integer NOT NULL,
	"end_reason" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"forwarded_at" timestamp with time zone,
	"rejected_reason" text,
	"rejected_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_until" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
CREATE INDEX "gate_nonces_expires_idx" ON "gate_nonces" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "plays_due_idx" ON "plays" USING btree ("next_attempt_at") WHERE "plays"."forwarded_at" is null and "plays"."rejected_at" is null;--> statement-breakpoint
CREATE INDEX "plays_played_idx" ON "plays" USING btree ("played_at");--> statement-breakpoint
-- The playback gate keeps an in-memory view of availability; every write to the catalogue
-- tells it which items changed, whichever process or source wrote them (CSV, DDEX, events,
-- scheduled deal changes, reconciliation). Statement-level triggers with transition tables
-- send one NOTIFY per 50 distinct items, on commit only, in the same order as the commits.
-- Payload: lines of "entity<US>source<US>id"; a "*" line means "forget everything".
CREATE OR REPLACE FUNCTION feedline_gate_notify_keys(keys text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  chunk text;
BEGIN
  FOR chunk IN
    SELECT string_agg(k, E'\n') FROM (
      SELECT k, (row_number() OVER () - 1) / 50 AS g FROM (SELECT DISTINCT unnest(keys) AS k) d
    ) x GROUP BY g
  LOOP
    IF octet_length(chunk) > 7900 THEN chunk := '*'; END IF;
    PERFORM pg_notify('feedline_catalogue', chunk);
  END LOOP;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION feedline_gate_notify_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM feedline_gate_notify_keys(ARRAY(SELECT TG_ARGV[0] || chr(31) || source || chr(31) || id FROM changed_rows));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION feedline_gate_notify_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM feedline_gate_notify_keys(ARRAY(SELECT 'track' || chr(31) || source || chr(31) || isrc FROM changed_rows));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION feedline_gate_notify_schedule() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM feedline_gate_notify_keys(ARRAY(SELECT entity || chr(31) || source || chr(31) || item_id FROM changed_rows));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER tracks_gate_insert AFTER INSERT ON tracks REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION feedline_gate_notify_items('track');
--> statement-breakpoint
CREATE TRIGGER tracks_gate_update AFTER UPDATE ON tracks REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION feedline_gate_notify_items('track');
--> statement-breakpoint
CREATE TRIGGER releases_gate_insert AFTER INSERT ON releases REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION feedline_gate_notify_items('release');
--> statement-breakpoint
CREATE TRIGGER releases_gate_update AFTER UPDATE ON releases REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION feedline_gate_notify_items('release');
--> statement-breakpoint
CREATE TRIGGER ddex_release_tracks_gate_insert AFTER INSERT ON ddex_release_tracks REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION feedline_gate_notify_links();
--> statement-breakpoint
CREATE TRIGGER ddex_release_tracks_gate_update AFTER UPDATE ON ddex_release_tracks REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION feedline_gate_notify_links();
--> statement-breakpoint
CREATE TRIGGER scheduled_takedowns_gate_insert AFTER INSERT ON scheduled_takedowns REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION feedline_gate_notify_schedule();
--> statement-breakpoint
CREATE TRIGGER scheduled_takedowns_gate_update AFTER UPDATE ON scheduled_takedowns REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION feedline_gate_notify_schedule();
