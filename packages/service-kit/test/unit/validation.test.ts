/** Input validation at the edge of every resolver: one error shape for every violation. */
import { parseInput, uuidInput } from '@fitgraph/service-kit';
import type { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const logSet = z.object({ workoutId: uuidInput(), input: z.object({ reps: z.number().int().min(1), weightKg: z.number().min(0) }) });

const refusal = (value: unknown): GraphQLError => {
  try {
    parseInput(logSet, value);
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error('expected BAD_USER_INPUT');
};

describe('parseInput', () => {
  it('returns the parsed value', () => {
    const value = { workoutId: '6a1b0c9e-0003-4000-8000-000000000001', input: { reps: 5, weightKg: 100 } };
    expect(parseInput(logSet, value)).toEqual(value);
  });

  it('refuses with BAD_USER_INPUT naming the field by its path', () => {
    const error = refusal({ workoutId: '6a1b0c9e-0003-4000-8000-000000000001', input: { reps: 0, weightKg: 100 } });
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.reps' });
    expect(error.message).toMatch(/^input\.reps: /);
  });

  it('refuses an id that could not exist in a uuid column before any SQL runs', () => {
    const error = refusal({ workoutId: "1' or '1'='1", input: { reps: 1, weightKg: 1 } });
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'workoutId' });
    expect(error.message).toBe('workoutId: must be a valid id');
  });
});
