ALTER TABLE "gyms" ADD COLUMN "status_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "machine_status_history" ADD COLUMN "gym_id" uuid;--> statement-breakpoint
ALTER TABLE "machine_status_history" ADD COLUMN "seq" bigint;--> statement-breakpoint
-- Existing rows: their machine's gym, and positions 1..n per gym in the order they happened.
UPDATE "machine_status_history" AS h SET "gym_id" = m."gym_id" FROM "machines" AS m WHERE m."id" = h."machine_id";--> statement-breakpoint
UPDATE "machine_status_history" AS h SET "seq" = ranked."seq"
  FROM (SELECT "id", row_number() OVER (PARTITION BY "gym_id" ORDER BY "at", "id") AS "seq" FROM "machine_status_history") AS ranked
  WHERE ranked."id" = h."id";--> statement-breakpoint
UPDATE "gyms" AS g SET "status_seq" = counted."last" FROM (SELECT "gym_id", max("seq") AS "last" FROM "machine_status_history" GROUP BY "gym_id") AS counted WHERE counted."gym_id" = g."id";--> statement-breakpoint
ALTER TABLE "machine_status_history" ALTER COLUMN "gym_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "machine_status_history" ALTER COLUMN "seq" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "machine_status_history" ADD CONSTRAINT "machine_status_history_gym_id_gyms_id_fk" FOREIGN KEY ("gym_id") REFERENCES "public"."gyms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "machine_status_history_gym_seq_idx" ON "machine_status_history" USING btree ("gym_id","seq");
