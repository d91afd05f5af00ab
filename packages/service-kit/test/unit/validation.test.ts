/** Input validation at the edge of every resolver: one error shape for every violation. */
import { nameInput, parseInput, uuidInput, visibleNameProblem } from '@fitgraph/service-kit';
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

describe('names people see (visibleNameProblem, nameInput)', () => {
  it.each([
    ['bidi override', 'Ann\u202Eeil'],
    ['bidi isolate', '\u2067Ann'],
    ['direction mark', 'Ann\u200F'],
    ['Arabic letter mark', 'Ann\u061C'],
    ['zero-width space', 'An\u200Bn'],
    ['zero-width joiner', 'An\u200Dn'],
    ['word joiner', 'An\u2060n'],
    ['BOM inside', 'An\uFEFFn'],
    ['Mongolian vowel separator', 'An\u180En'],
    ['tag characters', 'Ann\u{E0067}\u{E007F}'],
    ['variation selector first', '\uFE0FAnn'],
    ['ideographic variation selector after a space', 'Ann \u{E0100}'],
    ['Hangul filler inside', 'An\u3164n'],
    ['newline', 'Ann\nLee'],
    ['C1 control', 'Ann\u009BLee'],
  ])('refuses a name with a %s', (_what, name) => {
    expect(visibleNameProblem(name)).toMatch(/^must not contain/);
  });

  it.each([['only combining marks', '\u0301\u0301'], ['only spaces between nothing', '\u3000'], ['punctuation-free filler', '\u2800']])(
    'refuses a name with nothing visible: %s',
    (_what, name) => {
      expect(visibleNameProblem(name)).not.toBeNull();
    },
  );

  it.each(['Ann Lee', 'Zoë', 'José Núñez', 'محمد', 'יעל', '山田\u3000太郎', 'Lift 💪️', '❤️', '1\uFE0F\u20E3', '葛\u{E0100}飾', "O'Brien-Smith"])('accepts %s', (name) => {
    expect(visibleNameProblem(name)).toBeNull();
  });

  it('trims, counts characters (not UTF-16 units) and refuses with BAD_USER_INPUT naming the field', () => {
    const schema = z.object({ name: nameInput(3) });
    expect(parseInput(schema, { name: '  💪💪💪  ' })).toEqual({ name: '💪💪💪' });
    expect(() => parseInput(schema, { name: '💪💪💪💪' })).toThrow('name: must be at most 3 characters');
    expect(() => parseInput(schema, { name: '   ' })).toThrow('name: must not be empty');
    try {
      parseInput(schema, { name: 'a\u202Eb' });
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'name' });
    }
  });
});
