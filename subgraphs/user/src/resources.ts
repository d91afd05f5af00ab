import type { ResourceDependencies, Role } from '@fitgraph/platform';
import { createTokenSigner, startOutboxRelay, type OutboxRelay, type TokenSigner } from '@fitgraph/service-kit';
import * as schema from './db/schema';
import type { UserSettings } from './env';
import { hashPassword, scryptParams, type ScryptParams } from './passwords';
import type { SessionOptions } from './sessions';
import { createAccountThrottle, type AccountThrottle } from './throttle';

/** Long-lived parts of the user subgraph, shared by every request of one server. */
export interface AccountResources {
  sessions: SessionOptions;
  signer: TokenSigner<Role>;
  /** Sign-in and sign-up throttling. */
  throttle: AccountThrottle;
  outbox: OutboxRelay;
  scrypt: ScryptParams;
  /** A hash of nothing anyone knows: unknown emails are checked against it, so they cost the same time. */
  dummyPasswordHash: Promise<string>;
}

export async function createAccountResources(deps: ResourceDependencies<typeof schema, UserSettings>) {
  const env = deps.settings;
  const signer = createTokenSigner(deps.auth);
  const scrypt = scryptParams(env);
  const throttle = createAccountThrottle({
    redisUrl: deps.redis.url,
    keyPrefix: deps.redis.keyPrefix,
    maxFailuresPerAccountAndIp: env.SIGN_IN_MAX_FAILURES,
    maxFailuresPerIp: env.SIGN_IN_MAX_FAILURES_PER_IP,
    maxFailuresPerAccount: env.SIGN_IN_MAX_FAILURES_PER_ACCOUNT,
    windowSeconds: env.SIGN_IN_FAILURE_WINDOW,
    knownAddressSeconds: env.AUTH_REFRESH_TOKEN_TTL,
    maxSignUpsPerIp: env.SIGN_UP_MAX_PER_IP,
    signUpWindowSeconds: env.SIGN_UP_WINDOW,
    logger: deps.logger,
  });
  const outbox = startOutboxRelay(deps.db, deps.events, deps.logger);
  const dummyPasswordHash = hashPassword(`no one knows this ${Math.random()}`, scrypt);
  const resources: AccountResources = {
    sessions: { signer, refreshTokenTtlSeconds: env.AUTH_REFRESH_TOKEN_TTL, logger: deps.logger, revocations: deps.revocations },
    signer,
    throttle,
    outbox,
    scrypt,
    dummyPasswordHash,
  };
  return {
    resources,
    close: async () => {
      await outbox.stop();
      await throttle.close();
    },
  };
}
