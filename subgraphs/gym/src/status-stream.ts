/**
 * `machineStatusChanged` replay: a gym's stored status changes by position (`seq`), for the
 * shared replay-then-live stream (service-kit's SequencedStream).
 */
import { and, asc, eq, gt, lte } from 'drizzle-orm';
import { badUserInput, type Database } from '@fitgraph/service-kit';
import * as schema from './db/schema';
import { gyms, machineStatusHistory } from './db/schema';
import type { MachineStatusEventPayload } from './events';

type GymDatabase = Database<typeof schema>;

/**
 * A resume replays at most this many changes. A board further behind than that is better off
 * reloading `gym.machines` than replaying (and the replay would hold the subgraph busy).
 */
export const maxReplay = 1000;

/** The gym's newest position, or null when there is no such gym. */
export async function statusPosition(db: GymDatabase, gymId: string): Promise<number | null> {
  const [gym] = await db.select({ statusSeq: gyms.statusSeq }).from(gyms).where(eq(gyms.id, gymId));
  return gym ? gym.statusSeq : null;
}

/** Stored changes of the gym with seq in (afterSeq, uptoSeq], in order, at most `limit`. */
export async function statusPage(db: GymDatabase, gymId: string, afterSeq: number, uptoSeq: number, limit: number): Promise<MachineStatusEventPayload[]> {
  const h = machineStatusHistory;
  const rows = await db
    .select({ seq: h.seq, machineId: h.machineId, gymId: h.gymId, previousStatus: h.previousStatus, status: h.status, at: h.at })
    .from(h)
    .where(and(eq(h.gymId, gymId), gt(h.seq, afterSeq), lte(h.seq, uptoSeq)))
    .orderBy(asc(h.seq))
    .limit(limit);
  return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
}

/** The position `after` names; BAD_USER_INPUT unless it is one of this gym's events within the replay bound. */
export function resumePosition(after: string, lastSeq: number): number {
  const seq = /^\d{1,15}$/.test(after) ? Number(after) : NaN;
  if (!Number.isSafeInteger(seq) || seq > lastSeq) throw badUserInput('after: not the id of an event of this gym', 'after');
  if (lastSeq - seq > maxReplay) {
    throw badUserInput(
      `after: more than ${maxReplay} changes ago; load gym.machines and subscribe again without \`after\``,
      'after',
    );
  }
  return seq;
}
