import { sql } from 'drizzle-orm';
import { bigint, check, index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const machineStatus = pgEnum('machine_status', ['AVAILABLE', 'IN_USE', 'OUT_OF_ORDER', 'MAINTENANCE']);
export type MachineStatus = (typeof machineStatus.enumValues)[number];

/** Who caused a status change: a member (claim/release), staff, the machine itself, or the system (e.g. account deletion). */
export const statusChangeSource = pgEnum('status_change_source', ['MEMBER', 'STAFF', 'DEVICE', 'SYSTEM']);

export const gyms = pgTable('gyms', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  city: text('city').notNull(),
  /** Position of the gym's newest status change (`machine_status_history.seq`); 0 before the first. */
  statusSeq: bigint('status_seq', { mode: 'number' }).notNull().default(0),
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
    /** The member holding the machine (a user id from the user subgraph); only while IN_USE. */
    currentUserId: uuid('current_user_id'),
    /** sha256 (hex) of the machine's device key; the key itself is shown once by addMachine. */
    deviceKeyHash: text('device_key_hash'),
  },
  (table) => [
    index('machines_gym_id_idx').on(table.gymId),
    // A member holds at most one machine; concurrent claims by one member cannot both commit.
    uniqueIndex('machines_one_per_member_idx').on(table.currentUserId).where(sql`${table.status} = 'IN_USE'`),
    uniqueIndex('machines_device_key_hash_idx').on(table.deviceKeyHash),
    check('machines_holder_only_in_use', sql`${table.currentUserId} is null or ${table.status} = 'IN_USE'`),
  ],
);

/** Every status change of every machine, oldest first by `at`. */
export const machineStatusHistory = pgTable(
  'machine_status_history',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The machine's gym (fixed for a machine), so a gym's history reads by (gym_id, seq). */
    gymId: uuid('gym_id')
      .notNull()
      .references(() => gyms.id, { onDelete: 'cascade' }),
    /**
     * Position in the gym's history: 1, 2, 3, … with no gaps, taken from `gyms.status_seq` under
     * the gym row's lock, so a gym's changes commit in seq order (the resume cursor of
     * `machineStatusChanged`).
     */
    seq: bigint('seq', { mode: 'number' }).notNull(),
    machineId: uuid('machine_id')
      .notNull()
      .references(() => machines.id, { onDelete: 'cascade' }),
    previousStatus: machineStatus('previous_status').notNull(),
    status: machineStatus('status').notNull(),
    /** The user who made the change (null for the device, the system, or once that user is deleted). */
    changedBy: uuid('changed_by'),
    source: statusChangeSource('source').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('machine_status_history_machine_at_idx').on(table.machineId, table.at),
    uniqueIndex('machine_status_history_gym_seq_idx').on(table.gymId, table.seq),
  ],
);

/** Members on a gym floor: an open check-in has no `checkedOutAt`. */
export const checkIns = pgTable(
  'check_ins',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    gymId: uuid('gym_id')
      .notNull()
      .references(() => gyms.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    checkedInAt: timestamp('checked_in_at', { withTimezone: true }).notNull().defaultNow(),
    checkedOutAt: timestamp('checked_out_at', { withTimezone: true }),
  },
  (table) => [
    // One open check-in per member per gym, whatever races in the application.
    uniqueIndex('check_ins_one_open_idx').on(table.userId, table.gymId).where(sql`${table.checkedOutAt} is null`),
    // Occupancy counts open check-ins per gym.
    index('check_ins_open_by_gym_idx').on(table.gymId).where(sql`${table.checkedOutAt} is null`),
  ],
);

/** Durable events this subgraph produces (`gym.checked_in`), relayed to the event bus after commit. */
export { eventOutbox } from '@fitgraph/service-kit';

export type GymRow = typeof gyms.$inferSelect;
export type MachineRow = typeof machines.$inferSelect;
export type MachineStatusHistoryRow = typeof machineStatusHistory.$inferSelect;
export type CheckInRow = typeof checkIns.$inferSelect;

/** Durable events this subgraph has handled (service-kit events.ts handleEventOnce), made by its migrations like every other table. */
export { processedEvents } from '@fitgraph/service-kit';
