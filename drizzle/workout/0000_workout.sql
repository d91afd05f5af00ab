CREATE TABLE "exercises" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"muscle_groups" text[] NOT NULL,
	CONSTRAINT "exercises_name_unique" UNIQUE("name")
);
