-- `rows` is the changes a run states, for every kind (docs/design.md invariant 10). Old DDEX
-- runs counted only the catalogue rows written, leaving out the items quarantined; old full
-- runs left their reconcile takedowns out of `rows`. Both are recomputed where they are exact.
UPDATE "feed_runs" SET "rows" = "inserted" + "updated" + "taken_down" + "unchanged" + "quarantined"
WHERE "kind" = 'ddex' AND "status" = 'applied' AND "rows" = "inserted" + "updated" + "taken_down" + "unchanged";--> statement-breakpoint
UPDATE "feed_runs" SET "rows" = "rows" + ("meta" -> 'reconcile' ->> 'takenDown')::integer
WHERE "kind" = 'full' AND "status" = 'applied' AND jsonb_typeof("meta" -> 'reconcile' -> 'takenDown') = 'number'
  AND "rows" + ("meta" -> 'reconcile' ->> 'takenDown')::integer = "inserted" + "updated" + "taken_down" + "unchanged" + "quarantined";--> statement-breakpoint
-- NOT VALID: a run that cannot be recomputed stays as it was; every new or updated row is checked.
ALTER TABLE "feed_runs" ADD CONSTRAINT "feed_runs_counts_add_up" CHECK ("feed_runs"."status" <> 'applied' or "feed_runs"."rows" = "feed_runs"."inserted" + "feed_runs"."updated" + "feed_runs"."taken_down" + "feed_runs"."unchanged" + "feed_runs"."quarantined") NOT VALID;
