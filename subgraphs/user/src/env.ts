import { z } from 'zod';

/** DEV ONLY: the password of the seeded demo accounts when DEMO_PASSWORD is unset outside production. */
export const devDemoPassword = 'fitgraph-demo-password';

/** Settings of the user subgraph beyond the common ones (platform `commonEnv`, `authEnv`, `demoEnv`), parsed by its composition root. */
export const userEnv = {
  /** Refresh-token lifetime in seconds; each refresh issues a new one. Default: 2592000 (30 days). */
  AUTH_REFRESH_TOKEN_TTL: z.coerce.number().int().positive().default(30 * 24 * 3600),
  /**
   * Failed sign-ins per account from one client IP within the window before RATE_LIMITED (for
   * that account from that address only: the owner elsewhere is not locked out). Default: 5.
   */
  SIGN_IN_MAX_FAILURES: z.coerce.number().int().positive().default(5),
  /**
   * Failed sign-ins per account from all addresses together within the window (a guesser with
   * many addresses); beyond it only addresses that signed in to the account before (within
   * AUTH_REFRESH_TOKEN_TTL) may still try. Default: 50.
   */
  SIGN_IN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().positive().default(50),
  /**
   * Failed sign-ins per client IP within the window before RATE_LIMITED. Default: 20 (higher
   * than per account: members behind one gym Wi-Fi share an address).
   */
  SIGN_IN_MAX_FAILURES_PER_IP: z.coerce.number().int().positive().default(20),
  /** The failure-counting window in seconds. Default: 900 (15 minutes). */
  SIGN_IN_FAILURE_WINDOW: z.coerce.number().int().positive().default(900),
  /** Sign-up attempts per client IP within SIGN_UP_WINDOW before RATE_LIMITED. Default: 10. */
  SIGN_UP_MAX_PER_IP: z.coerce.number().int().positive().default(10),
  /** The sign-up counting window in seconds. Default: 3600 (1 hour). */
  SIGN_UP_WINDOW: z.coerce.number().int().positive().default(3600),
  /** scrypt cost N (a power of two) for new password hashes. Default: 32768 (32 MiB with r=8). */
  PASSWORD_SCRYPT_N: z.coerce
    .number()
    .int()
    .refine((n) => n >= 1024 && (n & (n - 1)) === 0, 'must be a power of two >= 1024')
    .default(32768),
  /** scrypt parallelisation p. Default: 3 (with N=2^15, r=8: OWASP's recommended minimum). */
  PASSWORD_SCRYPT_P: z.coerce.number().int().min(1).max(16).default(3),
};

export type UserSettings = z.infer<z.ZodObject<typeof userEnv>>;
