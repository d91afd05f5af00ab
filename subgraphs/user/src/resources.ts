import { hkdfSync } from 'node:crypto';
import type { EventBus, ResourceDependencies, Role } from '@fitgraph/platform';
import { createTokenSigner, startOutboxRelay, startRevocationRelay, type OutboxRelay, type RevocationRelay, type TokenSigner } from '@fitgraph/service-kit';
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

/**
 * The bus the outbox publishes to, holding back events while the revocation relay has
 * revocations waiting for Redis (account deletion records both in one transaction, then flushes
 * the relay first): no subgraph handles `user.deleted` before the deleted user's tokens are refused.
 */
const afterRevocations = (events: EventBus, revocations: RevocationRelay): EventBus => ({
  ...events,
  kind: events.kind,
  publish: async (topic, payload, options) => {
    if (!revocations.drained()) throw new Error('revocations recorded earlier are not shared yet; publishing later');
    return events.publish(topic, payload, options);
  },
});

/** The throttle's Redis keys are HMACs with a key only the signing service holds: no email or address can be read or guessed from them. */
const throttleKeySecret = (signingKeyPem: string | null) =>
  signingKeyPem ? Buffer.from(hkdfSync('sha256', signingKeyPem, 'fitgraph', 'rate-limit keys', 32)).toString('base64url') : undefined;

export async function createAccountResources(deps: ResourceDependencies<typeof schema, UserSettings>) {
  const env = deps.settings;
  const signer = createTokenSigner(deps.auth);
  const scrypt = scryptParams(env);
  const throttle = createAccountThrottle({
    redisUrl: deps.redis.url,
    keyPrefix: deps.redis.keyPrefix,
    keySecret: throttleKeySecret(deps.auth.signingKeyPem),
    replicas: deps.redis.rateLimitReplicas,
    maxFailuresPerAccountAndIp: env.SIGN_IN_MAX_FAILURES,
    maxFailuresPerIp: env.SIGN_IN_MAX_FAILURES_PER_IP,
    maxFailuresPerAccount: env.SIGN_IN_MAX_FAILURES_PER_ACCOUNT,
    windowSeconds: env.SIGN_IN_FAILURE_WINDOW,
    knownAddressSeconds: env.AUTH_REFRESH_TOKEN_TTL,
    maxSignUpsPerIp: env.SIGN_UP_MAX_PER_IP,
    signUpWindowSeconds: env.SIGN_UP_WINDOW,
    logger: deps.logger,
  });
  const revocations = startRevocationRelay(deps.db, deps.revocations, deps.logger);
  const outbox = startOutboxRelay(deps.db, afterRevocations(deps.events, revocations), deps.logger);
  const dummyPasswordHash = hashPassword(`no one knows this ${Math.random()}`, scrypt);
  const resources: AccountResources = {
    sessions: { signer, refreshTokenTtlSeconds: env.AUTH_REFRESH_TOKEN_TTL, logger: deps.logger, revocations },
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
      await revocations.stop();
      await throttle.close();
    },
  };
}
