CREATE TABLE "known_gyms" (
	"id" uuid PRIMARY KEY NOT NULL,
	"known_since" timestamp with time zone DEFAULT now() NOT NULL,
	"forgotten_at" timestamp with time zone
);
--> statement-breakpoint
-- Accounts that existed before user.created was published: announce them once (service-kit references.ts).
INSERT INTO "event_outbox" ("topic", "payload") SELECT 'user.created', jsonb_build_object('userId', "id") FROM "users";
