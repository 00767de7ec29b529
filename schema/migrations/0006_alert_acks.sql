CREATE TABLE "alert_acks" (
	"subject" text PRIMARY KEY NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"acknowledged_by" text NOT NULL,
	"note" text,
	"acknowledged_at" timestamp with time zone DEFAULT now() NOT NULL
);
