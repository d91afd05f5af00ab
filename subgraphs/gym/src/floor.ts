/**
 * Gym floor operations. Each runs in one transaction and returns the committed result plus the
 * status events to publish; callers publish only after the transaction has committed.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { enqueueEvent, type LiveEvent, type Outcome, type Viewer } from '@fitgraph/platform';
import { conflict, forbidden, isUniqueViolation, notFound, present, type Database } from '@fitgraph/service-kit';
import * as schema from './db/schema';
import { checkIns, gyms, machines, machineStatusHistory, type MachineRow, type MachineStatus } from './db/schema';
import { deviceKeyMatches, generateDeviceKey, hashDeviceKey } from './device-keys';
import { machineStatusEvent } from './events';

type GymDatabase = Database<typeof schema>;
type Source = (typeof schema.statusChangeSource.enumValues)[number];

/** Who may act on any machine regardless of who holds it. */
export const staffRoles = ['GYM_STAFF', 'ADMIN'] as const;
const isStaff = (viewer: Viewer | null) => !!viewer && (staffRoles as readonly string[]).includes(viewer.role);

/** Stores the change in the history (same transaction) and describes it for publishing. */
async function recordChange(
  tx: GymDatabase,
  machine: MachineRow,
  previousStatus: MachineStatus,
  changedBy: string | null,
  source: Source,
): Promise<LiveEvent> {
  // Takes the gym's next position under the gym row's lock (held to commit), so a gym's changes
  // commit in seq order with no gaps: what resumable `machineStatusChanged` streams rely on.
  const [position] = await tx
    .update(gyms)
    .set({ statusSeq: sql`${gyms.statusSeq} + 1` })
    .where(eq(gyms.id, machine.gymId))
    .returning({ seq: gyms.statusSeq });
  const seq = present(position, `gym ${machine.gymId}`).seq;
  await tx.insert(machineStatusHistory).values({
    gymId: machine.gymId,
    seq,
    machineId: machine.id,
    previousStatus,
    status: machine.status,
    changedBy,
    source,
    at: machine.statusChangedAt,
  });
  return machineStatusEvent({
    seq,
    machineId: machine.id,
    gymId: machine.gymId,
    previousStatus,
    status: machine.status,
    at: machine.statusChangedAt.toISOString(),
  });
}

async function requireGym(tx: GymDatabase, gymId: string) {
  const [gym] = await tx.select().from(gyms).where(eq(gyms.id, gymId));
  if (!gym) throw notFound('Gym', gymId);
  return gym;
}

/** The machine row locked for this transaction, or NOT_FOUND. */
async function lockMachine(tx: GymDatabase, machineId: string): Promise<MachineRow> {
  const [machine] = await tx.select().from(machines).where(eq(machines.id, machineId)).for('update');
  if (!machine) throw notFound('Machine', machineId);
  return machine;
}

/** Releases every machine `userId` holds (in `gymId` when given): AVAILABLE, history, events. */
async function releaseHeldMachines(
  tx: GymDatabase,
  userId: string,
  changedBy: string | null,
  source: Source,
  gymId?: string,
): Promise<LiveEvent[]> {
  const released = await tx
    .update(machines)
    .set({ status: 'AVAILABLE', currentUserId: null, statusChangedAt: sql`now()` })
    .where(and(eq(machines.currentUserId, userId), eq(machines.status, 'IN_USE'), gymId ? eq(machines.gymId, gymId) : undefined))
    .returning();
  const events: LiveEvent[] = [];
  // Gym rows locked in one order (by id) whatever the order of the machines: no deadlock between two of these.
  released.sort((a, b) => a.gymId.localeCompare(b.gymId));
  for (const machine of released) events.push(await recordChange(tx, machine, 'IN_USE', changedBy, source));
  return events;
}

export async function checkIn(db: GymDatabase, viewer: Viewer, gymId: string): Promise<Outcome<schema.GymRow>> {
  return db.transaction(async (tx) => {
    const gym = await requireGym(tx, gymId);
    // The partial unique index (one open check-in per member per gym) decides under races.
    const [inserted] = await tx.insert(checkIns).values({ gymId, userId: viewer.id }).onConflictDoNothing().returning();
    if (!inserted) throw conflict('You are already checked in at this gym');
    // Other subgraphs (chat's gym rooms) learn of it durably, via the outbox.
    await enqueueEvent(tx, 'gym.checked_in', { gymId, userId: viewer.id, at: inserted.checkedInAt.toISOString() });
    return { result: gym, events: [] };
  });
}

export async function checkOut(db: GymDatabase, viewer: Viewer, gymId: string): Promise<Outcome<schema.GymRow>> {
  return db.transaction(async (tx) => {
    const gym = await requireGym(tx, gymId);
    const closed = await tx
      .update(checkIns)
      .set({ checkedOutAt: sql`now()` })
      .where(and(eq(checkIns.userId, viewer.id), eq(checkIns.gymId, gymId), isNull(checkIns.checkedOutAt)))
      .returning({ id: checkIns.id });
    if (closed.length === 0) throw conflict('You are not checked in at this gym');
    // Leaving the floor frees the machine the member still holds there.
    const events = await releaseHeldMachines(tx, viewer.id, viewer.id, 'MEMBER', gymId);
    return { result: gym, events };
  });
}

export async function claimMachine(db: GymDatabase, viewer: Viewer, machineId: string): Promise<Outcome<MachineRow>> {
  try {
    return await db.transaction(async (tx) => {
      // The conditional UPDATE is the arbiter: of concurrent claims only one finds the row AVAILABLE.
      const [claimed] = await tx
        .update(machines)
        .set({ status: 'IN_USE', currentUserId: viewer.id, statusChangedAt: sql`now()` })
        .where(and(eq(machines.id, machineId), eq(machines.status, 'AVAILABLE')))
        .returning();
      if (!claimed) {
        const [current] = await tx.select({ status: machines.status }).from(machines).where(eq(machines.id, machineId));
        if (!current) throw notFound('Machine', machineId);
        throw conflict(`Machine is ${current.status}, not AVAILABLE`);
      }
      return { result: claimed, events: [await recordChange(tx, claimed, 'AVAILABLE', viewer.id, 'MEMBER')] };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'machines_one_per_member_idx')) {
      throw conflict('You already hold a machine; release it before claiming another');
    }
    throw error;
  }
}

export async function releaseMachine(db: GymDatabase, viewer: Viewer, machineId: string): Promise<Outcome<MachineRow>> {
  return db.transaction(async (tx) => {
    const machine = await lockMachine(tx, machineId);
    const holder = machine.currentUserId === viewer.id;
    if (!holder && !isStaff(viewer)) {
      throw machine.status === 'IN_USE'
        ? forbidden('Only the member holding this machine, GYM_STAFF or ADMIN can release it')
        : conflict(`Machine is ${machine.status}, not IN_USE`);
    }
    if (machine.status !== 'IN_USE') throw conflict(`Machine is ${machine.status}, not IN_USE`);
    const [released] = await tx
      .update(machines)
      .set({ status: 'AVAILABLE', currentUserId: null, statusChangedAt: sql`now()` })
      .where(eq(machines.id, machineId))
      .returning();
    return { result: released!, events: [await recordChange(tx, released!, 'IN_USE', viewer.id, holder ? 'MEMBER' : 'STAFF')] };
  });
}

/**
 * Sets any status: by GYM_STAFF/ADMIN, or by the machine itself presenting its device key.
 * Setting the current status is a no-op (no history row, no event). A holder is kept only while
 * the machine stays IN_USE.
 */
export async function setMachineStatus(
  db: GymDatabase,
  actor: { viewer: Viewer | null; deviceKey: string | null },
  machineId: string,
  status: MachineStatus,
): Promise<Outcome<MachineRow>> {
  return db.transaction(async (tx) => {
    const machine = await lockMachine(tx, machineId);
    const byStaff = isStaff(actor.viewer);
    if (!byStaff && !(actor.deviceKey !== null && deviceKeyMatches(actor.deviceKey, machine.deviceKeyHash))) {
      throw forbidden('Requires role GYM_STAFF or ADMIN, or this machine\'s device key');
    }
    if (machine.status === status) return { result: machine, events: [] };
    const [updated] = await tx
      .update(machines)
      .set({ status, currentUserId: status === 'IN_USE' ? machine.currentUserId : null, statusChangedAt: sql`now()` })
      .where(eq(machines.id, machineId))
      .returning();
    const event = await recordChange(tx, updated!, machine.status, byStaff ? actor.viewer!.id : null, byStaff ? 'STAFF' : 'DEVICE');
    return { result: updated!, events: [event] };
  });
}

export async function addMachine(
  db: GymDatabase,
  input: { gymId: string; name: string; kind: string },
): Promise<Outcome<{ machine: MachineRow; deviceKey: string }>> {
  return db.transaction(async (tx) => {
    await requireGym(tx, input.gymId);
    const deviceKey = generateDeviceKey();
    const [machine] = await tx
      .insert(machines)
      .values({ gymId: input.gymId, name: input.name, kind: input.kind, deviceKeyHash: hashDeviceKey(deviceKey) })
      .returning();
    // Workout sets may reference it once the workout subgraph has learnt of it (service-kit references.ts).
    await enqueueEvent(tx, 'machine.created', { machineId: machine!.id, gymId: machine!.gymId });
    return { result: { machine: machine!, deviceKey }, events: [] };
  });
}

/**
 * `user.deleted`, in the event handler's transaction: releases the machines the account holds
 * (history rows and events as SYSTEM), deletes its check-ins (open and past) and removes its id
 * from the status history.
 */
export async function forgetUser(tx: GymDatabase, userId: string): Promise<Outcome<{ checkInsDeleted: number; machinesReleased: number }>> {
  const events = await releaseHeldMachines(tx, userId, null, 'SYSTEM');
  const deleted = await tx.delete(checkIns).where(eq(checkIns.userId, userId)).returning({ id: checkIns.id });
  await tx.update(machineStatusHistory).set({ changedBy: null }).where(eq(machineStatusHistory.changedBy, userId));
  return { result: { checkInsDeleted: deleted.length, machinesReleased: events.length }, events };
}
