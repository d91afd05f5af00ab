import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { envPrefix, subgraphNames } from '@fitgraph/platform';

/** Real servers when CI (or a developer) sets the URLs; embedded defaults otherwise. */
export const backends = {
  database: process.env.DATABASE_URL ? ('postgres' as const) : ('pglite' as const),
  pubsub: process.env.REDIS_URL ? ('redis' as const) : ('memory' as const),
};

const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let sequence = 0;

/**
 * A database-name prefix no other test, run or developer stack uses (`fgt_<run>_<n>_`), so
 * tests never collide on a shared PostgreSQL; {@link dropDatabasesWithPrefix} removes them.
 */
export const uniqueDatabasePrefix = (): string => `fgt_${runId}_${(sequence += 1)}_`;

/**
 * Env for one test stack: free ports, quiet logs, its own databases (or in-memory PGlite),
 * the real Redis when REDIS_URL is set. `overrides` win.
 */
export function stackEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    INTERNAL_PORT: '0',
    DATABASE_NAME_PREFIX: uniqueDatabasePrefix(),
    // Own Redis keys (event streams, rate-limit counters): stacks never see each other's.
    REDIS_KEY_PREFIX: `fgt:${runId}:${(sequence += 1)}:`,
    // Cheaper password hashes (the hash stores its parameters, so every code path is the same).
    PASSWORD_SCRYPT_N: '16384',
    PASSWORD_SCRYPT_P: '1',
    PGLITE_DIR: 'memory',
    // Tests sign up many accounts from 127.0.0.1; the sign-up limit has tests of its own.
    SIGN_UP_MAX_PER_IP: '100000',
    // Every test client is 127.0.0.1: tests not about the gateway's rate limits must not trip them.
    RATE_LIMIT_ANONYMOUS: '1000000',
    RATE_LIMIT_MEMBER: '1000000',
    RATE_LIMIT_STAFF: '1000000',
    HTTP_MAX_SOCKETS_PER_ADDRESS: '1000000',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  };
  for (const name of subgraphNames) {
    env[`${envPrefix(name)}_SUBGRAPH_PORT`] = '0';
    env[`${envPrefix(name)}_INTERNAL_PORT`] = '0';
  }
  return { ...env, ...overrides };
}

/** Env with a freshly generated key pair and gateway secret, for stacks that run with NODE_ENV=production. */
export function generatedAuthEnv(keyId = `test-${randomBytes(4).toString('hex')}`): NodeJS.ProcessEnv {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    AUTH_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    AUTH_SIGNING_KEY_ID: keyId,
    AUTH_VERIFICATION_KEYS: JSON.stringify({ [keyId]: publicKey.export({ type: 'spki', format: 'pem' }).toString() }),
    GATEWAY_SECRET: randomBytes(32).toString('base64url'),
  };
}
