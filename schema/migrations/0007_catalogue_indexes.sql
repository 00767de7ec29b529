DROP INDEX "tracks_isrc_idx";--> statement-breakpoint
CREATE INDEX "tracks_ddex_isrc_idx" ON "tracks" USING btree ("source","isrc") WHERE id = isrc;--> statement-breakpoint
-- Keys are identifiers, not words: compare their bytes (COLLATE "C"), cheaper than the
-- database's locale in every index probe and merge. Rows leave room on their page
-- (fillfactor 90) so that an update can stay on it and skip index maintenance (HOT).
-- drizzle's schema cannot say either; they live here, and schema/catalogue.ts says so.
ALTER TABLE "tracks" ALTER COLUMN "source" TYPE text COLLATE "C", ALTER COLUMN "country" TYPE text COLLATE "C",
  ALTER COLUMN "id" TYPE text COLLATE "C", ALTER COLUMN "isrc" TYPE text COLLATE "C", SET (fillfactor = 90);--> statement-breakpoint
ALTER TABLE "releases" ALTER COLUMN "source" TYPE text COLLATE "C", ALTER COLUMN "country" TYPE text COLLATE "C",
  ALTER COLUMN "id" TYPE text COLLATE "C", SET (fillfactor = 90);--> statement-breakpoint
ALTER TABLE "artists" ALTER COLUMN "source" TYPE text COLLATE "C", ALTER COLUMN "country" TYPE text COLLATE "C",
  ALTER COLUMN "id" TYPE text COLLATE "C", SET (fillfactor = 90);
