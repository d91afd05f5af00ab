import proxyaddr from 'proxy-addr';
import { z } from 'zod';

/** Raised once with every configuration problem, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The problems of a zod failure, one line each (`VARIABLE: message`). */
export const configProblems = (error: z.ZodError): string[] =>
  error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);

/**
 * Parses `source` (the environment a composition root was given) against a zod object model
 * (or its shape), collecting all errors into one {@link ConfigError}.
 */
export function loadEnv<TSchema extends z.ZodType>(schema: TSchema, source: NodeJS.ProcessEnv): z.output<TSchema>;
export function loadEnv<TShape extends z.ZodRawShape>(shape: TShape, source: NodeJS.ProcessEnv): z.infer<z.ZodObject<TShape>>;
export function loadEnv(model: z.ZodType | z.ZodRawShape, source: NodeJS.ProcessEnv): unknown {
  const schema = model instanceof z.ZodType ? model : z.object(model);
  const result = schema.safeParse(source);
  if (!result.success) throw new ConfigError(configProblems(result.error));
  return result.data;
}


const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);

/** An optional URL; an empty string counts as unset (docker-compose passes `FOO=` through). */
export const optionalUrl = z.preprocess(emptyAsUndefined, z.string().url().optional());
/** An optional string; an empty string counts as unset. */
export const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
export const port = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(fallback));
/** A positive whole number with a default; an empty string counts as unset. */
export const positiveInt = (fallback: number) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().positive().default(fallback));

/**
 * A comma-separated list of proxy addresses: IPs, CIDRs or proxy-addr's names (`loopback`,
 * `linklocal`, `uniquelocal`); `x-forwarded-for` is believed only from these.
 */
export const proxyList = (fallback: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .default(fallback)
      .transform((list) => list.split(',').map((entry) => entry.trim()).filter(Boolean))
      .refine(
        (list) => {
          try {
            proxyaddr.compile(list);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'must list IP addresses, CIDR ranges or loopback/linklocal/uniquelocal' },
      ),
  );

