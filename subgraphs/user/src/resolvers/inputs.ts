/** The user subgraph's input models: resolvers parse their arguments with these (service-kit parseInput). */
import { roles } from '@fitgraph/platform';
import { nameInput, uuidInput } from '@fitgraph/service-kit';
import { z } from 'zod';
import { maxPasswordLength, normaliseEmail } from '../accounts';

// Deliberately simple: one @, something on each side, a dot in the domain; the real test is mail delivery.
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const displayName = nameInput(60);

export const signUpArgs = z
  .object({
    input: z.object({
      email: z.string().transform(normaliseEmail).pipe(z.string().max(254, 'is too long').regex(emailPattern, 'must be an email address')),
      password: z.string().min(10, 'must be at least 10 characters').max(maxPasswordLength, `must be at most ${maxPasswordLength} characters`),
      displayName,
    }),
  })
  .superRefine(({ input }, ctx) => {
    if (normaliseEmail(input.password) === input.email) {
      ctx.addIssue({ code: 'custom', path: ['input', 'password'], message: 'must not be the email address' });
    }
  });

/** A zone Intl knows, in its canonical spelling (PostgreSQL knows the same IANA names). */
function canonicalTimeZone(zone: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

export const updateProfileArgs = z.object({
  input: z.object({
    displayName: displayName.nullish(),
    homeGymId: uuidInput().nullish(),
    timeZone: z
      .string()
      .nullish()
      .transform((zone, ctx) => {
        if (zone === null || zone === undefined) return zone;
        const canonical = canonicalTimeZone(zone);
        if (!canonical) ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone, e.g. Europe/Berlin' });
        return canonical ?? z.NEVER;
      }),
  }),
});

export const setUserRoleArgs = z.object({ userId: uuidInput(), role: z.enum(roles) });

