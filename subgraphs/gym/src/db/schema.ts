import { index, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const machineStatus = pgEnum('machine_status', ['AVAILABLE', 'IN_USE', 'OUT_OF_ORDER', 'MAINTENANCE']);

export const gyms = pgTable('gyms', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  city: text('city').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const machines = pgTable(
  'machines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    gymId: uuid('gym_id')
      .notNull()
      .references(() => gyms.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind').notNull(),
    status: machineStatus('status').notNull().default('AVAILABLE'),
    statusChangedAt: timestamp('status_changed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('machines_gym_id_idx').on(table.gymId)],
);

export type GymRow = typeof gyms.$inferSelect;
export type MachineRow = typeof machines.$inferSelect;
