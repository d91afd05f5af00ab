import { deleteRedisKeys } from '@fitgraph/service-kit';
import { loadStackConfig, startStack, type RunningStack, type StartStackOptions } from '@fitgraph/stack';
import { dropDatabasesWithPrefix } from './databases';
import { signAsGatewayFor } from './gateway-attestation';
import { stackEnv } from './env';
import { testLogFile, testLogLevel } from './logs';
import { testScope } from './scope';

export interface TestStack extends RunningStack {
  env: NodeJS.ProcessEnv;
}

/** The whole supergraph on free ports with its own databases; `stop()` (or the end of the test file) also drops them. */
export async function startTestStack(overrides: NodeJS.ProcessEnv = {}, options: StartStackOptions = {}): Promise<TestStack> {
  // In this process: its logs go to the run's scanned log file (spawned services keep stdout, which tests read).
  const logFile = testLogFile();
  const env = stackEnv({ ...(logFile ? { LOG_LEVEL: testLogLevel(), LOG_FILE: logFile } : {}), ...overrides });
  const cleanUp = async () => {
    if (env.DATABASE_URL && env.DATABASE_NAME_PREFIX) await dropDatabasesWithPrefix(env.DATABASE_URL, env.DATABASE_NAME_PREFIX);
    if (env.REDIS_URL && env.REDIS_KEY_PREFIX) await deleteRedisKeys(env.REDIS_URL, env.REDIS_KEY_PREFIX);
  };
  const config = loadStackConfig(env);
  // A stack that fails half-way has closed what it opened; its databases and keys go too.
  const stack = await startStack(config, options).catch(async (error: unknown) => {
    await cleanUp().catch(() => {});
    throw error;
  });
  // Tests that call a subgraph of the stack directly stand in for its gateway (gateway-attestation.ts).
  const unsign = Object.entries(stack.subgraphs).map(([name, subgraph]) =>
    signAsGatewayFor(subgraph.url, config.subgraphs[name as keyof typeof config.subgraphs].gatewaySecret),
  );
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await stack.stop();
      for (const done of unsign) done();
      await cleanUp();
    })());
  testScope.defer(stop);
  return { ...stack, env, stop };
}
