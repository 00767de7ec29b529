CREATE TABLE "archive_chunks" (
	"upload_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	"written_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "archive_chunks_upload_id_seq_pk" PRIMARY KEY("upload_id","seq")
);
--> statement-breakpoint
CREATE TABLE "archive_files" (
	"sha256" text PRIMARY KEY NOT NULL,
	"upload_id" uuid NOT NULL,
	"bytes" bigint NOT NULL,
	"chunks" integer NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
-- Feed files are mostly gzip already: storing chunks uncompressed (but still out of line)
-- saves PostgreSQL a pointless compression attempt on every chunk.
ALTER TABLE "archive_chunks" ALTER COLUMN "data" SET STORAGE EXTERNAL;
