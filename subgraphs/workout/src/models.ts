/** What resolvers return for types that are not plain rows (see the mappers in codegen.ts). */

/** A user as the workout subgraph knows one: only the key (the user subgraph owns the rest). */
export interface UserRef {
  id: string;
}

/** The best set of one user for one exercise. */
export interface PersonalRecordModel {
  userId: string;
  exerciseId: string;
  workoutId: string;
  weightKg: number;
  reps: number;
  achievedAt: Date;
}
