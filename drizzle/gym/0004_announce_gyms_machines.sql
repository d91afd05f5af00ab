-- Gyms and machines that existed before gym.created / machine.created were published: announce them once
-- (service-kit references.ts), so the user and workout subgraphs accept references to them.
INSERT INTO "event_outbox" ("topic", "payload") SELECT 'gym.created', jsonb_build_object('gymId', "id") FROM "gyms";
--> statement-breakpoint
INSERT INTO "event_outbox" ("topic", "payload") SELECT 'machine.created', jsonb_build_object('machineId', "id", 'gymId', "gym_id") FROM "machines";
