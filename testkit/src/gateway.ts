import { createGateway, type GatewayOptions, type RunningGateway } from '@fitgraph/gateway';
import { DisposeScope, openRevocationList } from '@fitgraph/service-kit';
import { testLogger } from './logs';
import { testScope } from './scope';

export type TestGatewayOptions = Omit<GatewayOptions, 'revocations' | 'logger'> & Partial<Pick<GatewayOptions, 'revocations' | 'logger'>>;

/**
 * A gateway on a free port for tests of the gateway alone (fixture or real supergraph), with
 * a quiet logger and its own in-process revocation list unless given; `stop()` (or the end of
 * the test file) closes both.
 */
export async function startTestGateway(options: TestGatewayOptions): Promise<RunningGateway> {
  const scope = new DisposeScope();
  const revocations =
    options.revocations ??
    scope.use(await openRevocationList({ keyPrefix: '', accessTokenTtlSeconds: options.auth.accessTokenTtlSeconds }), (list) => list.close());
  const gateway = scope.use(
    await createGateway({ logger: testLogger('gateway'), ...options, revocations }),
    (running) => running.stop(),
  );
  testScope.defer(() => scope.dispose());
  return { ...gateway, stop: () => scope.dispose() };
}
