CREATE TABLE "foods" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"kcal_per_100g" double precision NOT NULL,
	"protein_per_100g" double precision NOT NULL,
	"carbs_per_100g" double precision NOT NULL,
	"fat_per_100g" double precision NOT NULL,
	CONSTRAINT "foods_name_unique" UNIQUE("name")
);
