CREATE TYPE "public"."status_change_source" AS ENUM('MEMBER', 'STAFF', 'DEVICE', 'SYSTEM');--> statement-breakpoint
CREATE TABLE "check_ins" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"gym_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"checked_in_at" timestamp with time zone DEFAULT now() NOT NULL,
	"checked_out_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "machine_status_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"machine_id" uuid NOT NULL,
	"previous_status" "machine_status" NOT NULL,
	"status" "machine_status" NOT NULL,
	"changed_by" uuid,
	"source" "status_change_source" NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "machines" ADD COLUMN "current_user_id" uuid;--> statement-breakpoint
ALTER TABLE "machines" ADD COLUMN "device_key_hash" text;--> statement-breakpoint
ALTER TABLE "check_ins" ADD CONSTRAINT "check_ins_gym_id_gyms_id_fk" FOREIGN KEY ("gym_id") REFERENCES "public"."gyms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "machine_status_history" ADD CONSTRAINT "machine_status_history_machine_id_machines_id_fk" FOREIGN KEY ("machine_id") REFERENCES "public"."machines"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "check_ins_one_open_idx" ON "check_ins" USING btree ("user_id","gym_id") WHERE "check_ins"."checked_out_at" is null;--> statement-breakpoint
CREATE INDEX "check_ins_open_by_gym_idx" ON "check_ins" USING btree ("gym_id") WHERE "check_ins"."checked_out_at" is null;--> statement-breakpoint
CREATE INDEX "machine_status_history_machine_at_idx" ON "machine_status_history" USING btree ("machine_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "machines_one_per_member_idx" ON "machines" USING btree ("current_user_id") WHERE "machines"."status" = 'IN_USE';--> statement-breakpoint
CREATE UNIQUE INDEX "machines_device_key_hash_idx" ON "machines" USING btree ("device_key_hash");--> statement-breakpoint
ALTER TABLE "machines" ADD CONSTRAINT "machines_holder_only_in_use" CHECK ("machines"."current_user_id" is null or "machines"."status" = 'IN_USE');