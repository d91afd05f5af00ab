CREATE TABLE "known_users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"known_since" timestamp with time zone DEFAULT now() NOT NULL,
	"forgotten_at" timestamp with time zone
);
