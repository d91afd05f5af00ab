CREATE TABLE "daily_quotas" (
	"subject_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"day" date NOT NULL,
	"used" integer NOT NULL,
	CONSTRAINT "daily_quotas_subject_id_kind_pk" PRIMARY KEY("subject_id","kind")
);
