/**
 * The bench's data set, bulk-inserted into the bench's own databases before the subgraphs start
 * (PostgreSQL databases `<prefix><subgraph>` when DATABASE_URL is set, PGlite folders otherwise).
 * Deterministic (seeded PRNG), so two runs load the same shape.
 */
import { randomUUID } from 'node:crypto';
import { databaseTargetOf, migrationsFolder, type SubgraphName } from '@fitgraph/platform';
import { openDatabase } from '@fitgraph/service-kit';
import { schema as gymSchema } from '@fitgraph/gym-subgraph';
import { schema as nutritionSchema } from '@fitgraph/nutrition-subgraph';
import { schema as userSchema } from '@fitgraph/user-subgraph';
import { schema as workoutSchema } from '@fitgraph/workout-subgraph';

export interface SeedSize {
  users: number;
  gyms: number;
  machinesPerGym: number;
  /** Of each gym's machines, this many are IN_USE (each by a different member of that gym). */
  machinesInUsePerGym: number;
  /** Machines of the extra "list" gym, all in use: scenario (d), a 100-item federated list. */
  listGymMachines: number;
  workouts: number;
  setsPerWorkout: number;
  mealEntries: number;
}

export const fullSeed: SeedSize = {
  users: 2000,
  gyms: 20,
  machinesPerGym: 20,
  machinesInUsePerGym: 16,
  listGymMachines: 100,
  workouts: 20_000,
  setsPerWorkout: 3,
  mealEntries: 50_000,
};

/** Same shape, fewer rows (`--quick`). */
export const quickSeed: SeedSize = { ...fullSeed, users: 600, workouts: 3000, mealEntries: 6000 };

export interface SeededData {
  /** Gyms with `machinesPerGym` machines, most in use. */
  gymIds: string[];
  listGymId: string;
  /** Members with a home gym, workouts and meals; the dashboard signs in as them. */
  memberIds: string[];
  /** A day (YYYY-MM-DD, UTC) on which every member logged meals. */
  mealDate: string;
  /** Spare machines of the subscription gym (gymIds[0]), AVAILABLE, for claim/release ... */
  freeMachineIds: string[];
  /** ... by these members, who hold no machine (index i claims machine i). */
  spareMemberIds: string[];
  rows: number;
}

/** Mulberry32: small deterministic PRNG. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const kinds = ['TREADMILL', 'ROWER', 'SQUAT_RACK', 'BENCH', 'CABLE', 'BIKE', 'LEG_PRESS'];
const dayMs = 86_400_000;

async function insertChunked<T>(rows: T[], chunk: number, insert: (part: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) await insert(rows.slice(i, i + chunk));
}

/** Where each subgraph's database is, for the env the services get (same rule as the services). */
export function databaseTargets(env: { DATABASE_URL?: string; DATABASE_NAME_PREFIX: string; PGLITE_DIR: string }) {
  return (name: SubgraphName) => databaseTargetOf(name, env);
}

export async function seedBenchData(
  target: ReturnType<typeof databaseTargets>,
  size: SeedSize,
): Promise<SeededData> {
  const random = prng(12);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const now = Date.now();
  const mealDay = new Date(Math.floor(now / dayMs) * dayMs - dayMs); // yesterday, 00:00 UTC

  const gymIds = Array.from({ length: size.gyms }, () => randomUUID());
  const listGymId = randomUUID();
  const memberIds = Array.from({ length: size.users }, () => randomUUID());
  const homeGymOf = (index: number) => gymIds[index % size.gyms]!;

  const gymRows = [...gymIds, listGymId].map((id, i) => ({
    id,
    name: id === listGymId ? 'Bench list gym' : `Bench gym ${i + 1}`,
    city: 'Benchtown',
  }));
  const machineRows: (typeof gymSchema.machines.$inferInsert)[] = [];
  const machinesByGym = new Map<string, string[]>();
  const holders = new Set<string>();
  // Members of gym g are memberIds[g], memberIds[g + gyms], ...; the first ones hold its machines.
  gymIds.forEach((gymId, g) => {
    const ids: string[] = [];
    for (let m = 0; m < size.machinesPerGym; m += 1) {
      const id = randomUUID();
      ids.push(id);
      const holder = m < size.machinesInUsePerGym ? memberIds[g + m * size.gyms] : undefined;
      if (holder) holders.add(holder);
      machineRows.push({
        id,
        gymId,
        name: `${pick(kinds)} ${m + 1}`,
        kind: pick(kinds),
        status: holder ? 'IN_USE' : 'AVAILABLE',
        currentUserId: holder ?? null,
      });
    }
    machinesByGym.set(gymId, ids);
  });
  const free = memberIds.filter((id) => !holders.has(id));
  for (let m = 0; m < size.listGymMachines; m += 1) {
    machineRows.push({
      id: randomUUID(),
      gymId: listGymId,
      name: `List machine ${m + 1}`,
      kind: pick(kinds),
      status: 'IN_USE',
      currentUserId: free[m]!,
    });
  }
  // Members who hold nothing yet: the subscription bench claims and releases gym 0's spare machines for them.
  const freeMachineIds: string[] = [];
  const subscriptionGym = gymIds[0]!;
  for (let m = 0; m < 50; m += 1) {
    const id = randomUUID();
    freeMachineIds.push(id);
    machineRows.push({ id, gymId: subscriptionGym, name: `Spare ${m + 1}`, kind: pick(kinds), status: 'AVAILABLE' });
  }

  const userRows = memberIds.map((id, i) => ({
    id,
    email: `bench-${i}@bench.fitgraph.dev`,
    displayName: `Bench Member ${i}`,
    homeGymId: homeGymOf(i),
    timeZone: 'UTC',
  }));

  const exerciseRows = Array.from({ length: 40 }, (_, i) => ({
    id: randomUUID(),
    name: `Bench exercise ${i + 1}`,
    muscleGroups: ['bench'],
  }));
  const workoutRows: (typeof workoutSchema.workouts.$inferInsert)[] = [];
  const setRows: (typeof workoutSchema.workoutSets.$inferInsert)[] = [];
  for (let w = 0; w < size.workouts; w += 1) {
    const member = w % size.users;
    const id = randomUUID();
    const startedAt = new Date(now - (w / size.users + 1) * dayMs - random() * 3_600_000);
    workoutRows.push({ id, userId: memberIds[member]!, startedAt, finishedAt: new Date(startedAt.getTime() + 3_600_000) });
    const machines = machinesByGym.get(homeGymOf(member))!;
    for (let s = 0; s < size.setsPerWorkout; s += 1) {
      setRows.push({
        workoutId: id,
        exerciseId: pick(exerciseRows).id,
        machineId: pick(machines),
        reps: 5 + Math.floor(random() * 10),
        weightKg: 20 + Math.floor(random() * 100),
        loggedAt: new Date(startedAt.getTime() + s * 300_000),
      });
    }
  }

  const foodRows = Array.from({ length: 60 }, (_, i) => ({
    id: randomUUID(),
    name: `Bench food ${i + 1}`,
    kcalPer100g: 50 + Math.floor(random() * 400),
    proteinPer100g: Math.floor(random() * 30),
    carbsPer100g: Math.floor(random() * 60),
    fatPer100g: Math.floor(random() * 20),
  }));
  const mealRows = Array.from({ length: size.mealEntries }, (_, i) => {
    // Every member eats on the dashboard's day; the rest spread over the past week.
    const day = i < size.users ? 0 : Math.floor(random() * 7);
    return {
      userId: memberIds[i % size.users]!,
      foodId: pick(foodRows).id,
      grams: 50 + Math.floor(random() * 300),
      eatenAt: new Date(mealDay.getTime() - day * dayMs + 8 * 3_600_000 + random() * 12 * 3_600_000),
    };
  });

  const gymDb = await openDatabase({ schema: gymSchema, migrationsFolder: migrationsFolder('gym'), target: target('gym') });
  try {
    await gymDb.db.insert(gymSchema.gyms).values(gymRows);
    await insertChunked(machineRows, 2000, (part) => gymDb.db.insert(gymSchema.machines).values(part));
  } finally {
    await gymDb.close();
  }
  const userDb = await openDatabase({ schema: userSchema, migrationsFolder: migrationsFolder('user'), target: target('user') });
  try {
    await insertChunked(userRows, 2000, (part) => userDb.db.insert(userSchema.users).values(part));
  } finally {
    await userDb.close();
  }
  const workoutDb = await openDatabase({ schema: workoutSchema, migrationsFolder: migrationsFolder('workout'), target: target('workout') });
  try {
    await workoutDb.db.insert(workoutSchema.exercises).values(exerciseRows);
    await insertChunked(workoutRows, 5000, (part) => workoutDb.db.insert(workoutSchema.workouts).values(part));
    await insertChunked(setRows, 5000, (part) => workoutDb.db.insert(workoutSchema.workoutSets).values(part));
  } finally {
    await workoutDb.close();
  }
  const nutritionDb = await openDatabase({ schema: nutritionSchema, migrationsFolder: migrationsFolder('nutrition'), target: target('nutrition') });
  try {
    await nutritionDb.db.insert(nutritionSchema.foods).values(foodRows);
    await insertChunked(mealRows, 5000, (part) => nutritionDb.db.insert(nutritionSchema.mealEntries).values(part));
  } finally {
    await nutritionDb.close();
  }
  return {
    gymIds,
    listGymId,
    memberIds,
    mealDate: mealDay.toISOString().slice(0, 10),
    freeMachineIds,
    spareMemberIds: free.slice(size.listGymMachines, size.listGymMachines + freeMachineIds.length),
    rows: gymRows.length + machineRows.length + userRows.length + exerciseRows.length + workoutRows.length + setRows.length + foodRows.length + mealRows.length,
  };
}
