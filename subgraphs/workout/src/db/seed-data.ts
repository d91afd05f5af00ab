// Demo seed data for the workout subgraph: exercise catalogue with primary muscle groups.

export interface ExerciseSeed { id: string; name: string; muscleGroups: string[]; }

export const exerciseSeeds: ExerciseSeed[] = [
  { id: '6a1b0c9e-0003-4000-8000-000000000001', name: 'Back Squat', muscleGroups: ['quadriceps', 'glutes', 'hamstrings', 'core'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000002', name: 'Front Squat', muscleGroups: ['quadriceps', 'glutes', 'core'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000003', name: 'Deadlift', muscleGroups: ['hamstrings', 'glutes', 'back', 'forearms'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000004', name: 'Romanian Deadlift', muscleGroups: ['hamstrings', 'glutes', 'back'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000005', name: 'Bench Press', muscleGroups: ['chest', 'triceps', 'shoulders'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000006', name: 'Incline Bench Press', muscleGroups: ['chest', 'shoulders', 'triceps'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000007', name: 'Dumbbell Bench Press', muscleGroups: ['chest', 'triceps', 'shoulders'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000008', name: 'Overhead Press', muscleGroups: ['shoulders', 'triceps', 'core'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000009', name: 'Arnold Press', muscleGroups: ['shoulders', 'triceps'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000010', name: 'Lateral Raise', muscleGroups: ['shoulders'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000011', name: 'Barbell Row', muscleGroups: ['back', 'biceps', 'forearms'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000012', name: 'Pull-Up', muscleGroups: ['back', 'biceps', 'forearms'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000013', name: 'Chin-Up', muscleGroups: ['back', 'biceps'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000014', name: 'Lat Pulldown', muscleGroups: ['back', 'biceps'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000015', name: 'Seated Cable Row', muscleGroups: ['back', 'biceps'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000016', name: 'Face Pull', muscleGroups: ['shoulders', 'back'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000017', name: 'Barbell Shrug', muscleGroups: ['back', 'forearms'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000018', name: 'Cable Fly', muscleGroups: ['chest', 'shoulders'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000019', name: 'Push-Up', muscleGroups: ['chest', 'triceps', 'shoulders', 'core'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000020', name: 'Dip', muscleGroups: ['chest', 'triceps', 'shoulders'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000021', name: 'Triceps Pushdown', muscleGroups: ['triceps'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000022', name: 'Skull Crusher', muscleGroups: ['triceps'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000023', name: 'Biceps Curl', muscleGroups: ['biceps', 'forearms'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000024', name: 'Hammer Curl', muscleGroups: ['biceps', 'forearms'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000025', name: 'Leg Press', muscleGroups: ['quadriceps', 'glutes'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000026', name: 'Smith Machine Squat', muscleGroups: ['quadriceps', 'glutes'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000027', name: 'Leg Extension', muscleGroups: ['quadriceps'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000028', name: 'Leg Curl', muscleGroups: ['hamstrings'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000029', name: 'Hip Thrust', muscleGroups: ['glutes', 'hamstrings'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000030', name: 'Walking Lunge', muscleGroups: ['quadriceps', 'glutes', 'hamstrings'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000031', name: 'Bulgarian Split Squat', muscleGroups: ['quadriceps', 'glutes'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000032', name: 'Goblet Squat', muscleGroups: ['quadriceps', 'glutes', 'core'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000033', name: 'Calf Raise', muscleGroups: ['calves'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000034', name: 'Plank', muscleGroups: ['core'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000035', name: 'Hanging Leg Raise', muscleGroups: ['core'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000036', name: 'Cable Crunch', muscleGroups: ['core'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000037', name: 'Ab Wheel Rollout', muscleGroups: ['core', 'shoulders'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000038', name: "Farmer's Carry", muscleGroups: ['forearms', 'core', 'back'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000039', name: 'Kettlebell Swing', muscleGroups: ['glutes', 'hamstrings', 'core'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000040', name: 'Treadmill Run', muscleGroups: ['cardio', 'quadriceps', 'calves'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000041', name: 'Rowing Machine', muscleGroups: ['cardio', 'back', 'quadriceps'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000042', name: 'Stationary Bike', muscleGroups: ['cardio', 'quadriceps'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000043', name: 'Elliptical Trainer', muscleGroups: ['cardio', 'quadriceps', 'glutes'] },
  { id: '6a1b0c9e-0003-4000-8000-000000000044', name: 'Jump Rope', muscleGroups: ['cardio', 'calves'] },
];

// ---------------------------------------------------------------- demo activity (dev only)
// Training history of the demo members so Sandbox and the mobile app show real-looking data.
// Ids are fixed (a second seed is a no-op); times are offsets from the first seed's "now".

/** Demo members of the user subgraph (another package: copied, not imported). */
export const demoMemberIds = { alex: '6a1b0c9e-0005-4000-8000-000000000001', sam: '6a1b0c9e-0005-4000-8000-000000000002' } as const;

/** Machines of the gym subgraph's seed (copied ids): Alex trains in Hamburg, Sam in Munich. */
const machine = {
  hamburgSquatRack1: '6a1b0c9e-0002-4000-8000-001000000004',
  hamburgSquatRack2: '6a1b0c9e-0002-4000-8000-001000000005',
  hamburgFlatBench1: '6a1b0c9e-0002-4000-8000-001000000006',
  hamburgCableStation: '6a1b0c9e-0002-4000-8000-001000000008',
  munichFlatBench1: '6a1b0c9e-0002-4000-8000-002000000007',
  munichFlatBench2: '6a1b0c9e-0002-4000-8000-002000000008',
  munichCableStation: '6a1b0c9e-0002-4000-8000-002000000009',
  munichSmithMachine: '6a1b0c9e-0002-4000-8000-002000000011',
} as const;

const exercise = (name: string): string => {
  const found = exerciseSeeds.find((e) => e.name === name);
  if (!found) throw new Error(`demo seed: no exercise named ${name}`);
  return found.id;
};

export interface DemoSetSeed { id: string; exerciseId: string; machineId: string | null; reps: number; weightKg: number; }
export interface DemoWorkoutSeed {
  id: string;
  userId: string;
  /** Whole days before the seed day (UTC); 0 with `startedMinutesAgo` for the one in progress. */
  daysAgo: number;
  /** Start time (UTC hours) on that day; chosen to fall in the member's local evening/morning. */
  startHourUtc: number;
  /** Set for the workout in progress: it started this many minutes before the seed. */
  startedMinutesAgo?: number;
  finished: boolean;
  sets: DemoSetSeed[];
}

/** One exercise of a session: `sets` sets of `reps` at `weightKg + step * session` (progressive overload). */
interface Lift { exercise: string; machineId: string | null; sets: number; reps: number; weightKg: number; step: number; repsStep?: number; }

function program(user: 0 | 1, userId: string, startHourUtc: number, daysAgo: number[], sessions: Lift[][], inProgress?: Lift[]): DemoWorkoutSeed[] {
  const id = (w: number, s?: number) =>
    s === undefined ? `6a1b0c9e-0006-4000-8000-00${user}0000000${String(w).padStart(2, '0')}` : `6a1b0c9e-0007-4000-8000-00${user}00000${String(w).padStart(2, '0')}${String(s).padStart(2, '0')}`;
  const build = (w: number, lifts: Lift[], round: number): DemoSetSeed[] =>
    lifts.flatMap((lift) => Array.from({ length: lift.sets }, () => lift)).map((lift, s) => ({
      id: id(w, s),
      exerciseId: exercise(lift.exercise),
      machineId: lift.machineId,
      reps: lift.reps + (lift.repsStep ?? 0) * round,
      weightKg: lift.weightKg + lift.step * round,
    }));
  const workouts: DemoWorkoutSeed[] = daysAgo.map((days, w) => ({
    id: id(w),
    userId,
    daysAgo: days,
    startHourUtc,
    finished: true,
    sets: build(w, sessions[w % sessions.length]!, Math.floor(w / sessions.length)),
  }));
  if (inProgress) {
    const w = workouts.length;
    workouts.push({ id: id(w), userId, daysAgo: 0, startHourUtc, startedMinutesAgo: 25, finished: false, sets: build(w, inProgress, Math.floor(w / sessions.length)) });
  }
  return workouts;
}

/** Alex: a squat/bench day and a deadlift/press day, evenings in Hamburg (~18:30 Berlin). */
const alexSquatDay: Lift[] = [
  { exercise: 'Back Squat', machineId: machine.hamburgSquatRack1, sets: 3, reps: 5, weightKg: 100, step: 2.5 },
  { exercise: 'Bench Press', machineId: machine.hamburgFlatBench1, sets: 2, reps: 5, weightKg: 80, step: 2.5 },
  { exercise: 'Triceps Pushdown', machineId: machine.hamburgCableStation, sets: 1, reps: 12, weightKg: 30, step: 2.5 },
];
const alexDeadliftDay: Lift[] = [
  { exercise: 'Deadlift', machineId: machine.hamburgSquatRack2, sets: 2, reps: 5, weightKg: 140, step: 5 },
  { exercise: 'Overhead Press', machineId: null, sets: 2, reps: 6, weightKg: 50, step: 1.25 },
  { exercise: 'Lat Pulldown', machineId: machine.hamburgCableStation, sets: 1, reps: 10, weightKg: 65, step: 2.5 },
];

/** Sam: lower body and upper body, mornings in Munich (~7:30 New York time, the member's zone). */
const samLowerDay: Lift[] = [
  { exercise: 'Smith Machine Squat', machineId: machine.munichSmithMachine, sets: 3, reps: 8, weightKg: 60, step: 5 },
  { exercise: 'Romanian Deadlift', machineId: null, sets: 1, reps: 10, weightKg: 50, step: 2.5 },
  { exercise: 'Hip Thrust', machineId: machine.munichFlatBench1, sets: 1, reps: 10, weightKg: 70, step: 5 },
];
const samUpperDay: Lift[] = [
  { exercise: 'Dumbbell Bench Press', machineId: machine.munichFlatBench2, sets: 2, reps: 10, weightKg: 20, step: 2 },
  { exercise: 'Seated Cable Row', machineId: machine.munichCableStation, sets: 2, reps: 12, weightKg: 45, step: 2.5 },
  { exercise: 'Pull-Up', machineId: null, sets: 1, reps: 5, weightKg: 0, step: 0, repsStep: 1 },
  { exercise: 'Lateral Raise', machineId: null, sets: 1, reps: 15, weightKg: 6, step: 1 },
];

export const demoWorkoutSeeds: DemoWorkoutSeed[] = [
  ...program(0, demoMemberIds.alex, 16.5, [20, 18, 15, 13, 11, 8, 6, 3], [alexSquatDay, alexDeadliftDay], [
    { exercise: 'Back Squat', machineId: machine.hamburgSquatRack1, sets: 2, reps: 5, weightKg: 100, step: 2.5 },
  ]),
  ...program(1, demoMemberIds.sam, 11.5, [19, 16, 14, 12, 9, 7, 5, 2], [samLowerDay, samUpperDay]),
];
