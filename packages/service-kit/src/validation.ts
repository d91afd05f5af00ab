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

// ---------------------------------------------------------------- names people see

/**
 * Characters a name shown to other people must not hold: controls (tab and newline included: a
 * name is one line), format characters (bidi embeddings, overrides, isolates and marks U+202A–E,
 * U+2066–9, U+200E/F, U+061C; zero-width U+200B–D, U+2060, U+FEFF, U+180E, soft hyphen, tag
 * characters), line and paragraph separators, and letters and marks that draw nothing (Hangul
 * fillers, the braille blank, the combining grapheme joiner, Khmer inherent vowels).
 */
const hiddenInName = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0\u2800\u034F\u17B4\u17B5]/u;
/** Variation selectors (standard, ideographic, Mongolian): they only alter the character before them. */
const variationSelector = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}\u180B-\u180D\u180F]/u;
/** What a variation selector may follow: a letter, digit, symbol (emoji) or punctuation that draws something. */
const selectableBase = /[\p{L}\p{N}\p{S}\p{P}]/u;

/** Why `name` (trimmed) cannot be a name people see, or null: hidden characters, or nothing visible. */
export function visibleNameProblem(name: string): string | null {
  const characters = [...name];
  let visible = false;
  for (const [index, character] of characters.entries()) {
    if (hiddenInName.test(character)) return 'must not contain invisible, control or text-direction characters';
    if (variationSelector.test(character)) {
      const before = characters[index - 1];
      if (!before || !selectableBase.test(before) || hiddenInName.test(before)) return 'must not contain a variation selector on its own';
      continue;
    }
    if (selectableBase.test(character)) visible = true;
  }
  return visible ? null : 'must contain a visible character';
}

/**
 * The one rule for every name a person sets that others see (display names, conversation titles,
 * machine names): trimmed, 1..`max` characters (code points), and {@link visibleNameProblem}-free.
 */
export const nameInput = (max: number) =>
  z
    .string()
    .trim()
    .refine((name) => name.length > 0, 'must not be empty')
    .refine((name) => [...name].length <= max, `must be at most ${max} characters`)
    .superRefine((name, ctx) => {
      const problem = name.length > 0 ? visibleNameProblem(name) : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
