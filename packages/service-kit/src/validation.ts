/**
 * Input validation at the edge of each resolver: one schema library (zod) and one error mapper.
 * Every violation becomes BAD_USER_INPUT with `extensions.field` naming the offending input
 * (the zod issue path joined with '.', e.g. `input.reps`), so clients can point at the field.
 */
import { z } from 'zod';
import { badUserInput } from './errors';
import { isUuid } from './loaders';

/** `value` parsed by `schema`, or a BAD_USER_INPUT error for the first violation. */
export function parseInput<TSchema extends z.ZodType>(schema: TSchema, value: unknown): z.output<TSchema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw badUserInput(field ? `${field}: ${issue.message}` : issue.message, field || undefined);
}

/** An id of a uuid column (the same test the loaders use to filter ids). */
export const uuidInput = () => z.string().refine(isUuid, { message: 'must be a valid id' });
