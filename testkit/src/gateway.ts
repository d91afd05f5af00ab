import { createGateway, openGatewayRateLimiter, type GatewayOptions, type RateLimitSettings, type RunningGateway } from '@fitgraph/gateway';
import { DisposeScope, openRevocationList } from '@fitgraph/service-kit';
import { testLogger } from './logs';
import { testScope } from './scope';

export type TestGatewayOptions = Omit<GatewayOptions, 'revocations' | 'logger'> &
  Partial<Pick<GatewayOptions, 'revocations' | 'logger'>> & {
    /** Per-client budgets: a rate limiter opened (and closed) with the gateway. Ignored when `rateLimiter` is given. */
    rateLimits?: RateLimitSettings;
  };

/**
 * A gateway on a free port for tests of the gateway alone (fixture or real supergraph), with
 * a quiet logger and its own in-process revocation list unless given, and a rate limiter when
 * `rateLimits` are; `stop()` (or the end of the test file) closes them all.
 */
export async function startTestGateway(options: TestGatewayOptions): Promise<RunningGateway> {
  const { rateLimits, ...gatewayOptions } = options;
  const logger = options.logger ?? testLogger('gateway');
  const scope = new DisposeScope();
  const revocations =
    options.revocations ??
    scope.use(await openRevocationList({ keyPrefix: '', accessTokenTtlSeconds: options.auth.accessTokenTtlSeconds }), (list) => list.close());
  const rateLimiter = options.rateLimiter ?? (rateLimits && scope.use(openGatewayRateLimiter(rateLimits, logger), (limiter) => limiter.close()));
  const gateway = await createGateway({ ...gatewayOptions, logger, revocations, rateLimiter }).catch(async (error: unknown) => {
    await scope.dispose();
    throw error;
  });
  scope.defer(() => gateway.stop());
  testScope.defer(() => scope.dispose());
  return { ...gateway, stop: () => scope.dispose() };
}
