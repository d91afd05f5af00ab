import { deleteRedisKeys } from '@fitgraph/service-kit';
import { loadStackConfig, startStack, type RunningStack, type StartStackOptions } from '@fitgraph/stack';
import { dropDatabasesWithPrefix } from './databases';
import { stackEnv } from './env';

export interface TestStack extends RunningStack {
  env: NodeJS.ProcessEnv;
}

/** The whole supergraph on free ports with its own databases; `stop()` also drops them. */
export async function startTestStack(overrides: NodeJS.ProcessEnv = {}, options: StartStackOptions = {}): Promise<TestStack> {
  const env = stackEnv(overrides);
  const stack = await startStack(loadStackConfig(env), options);
  return {
    ...stack,
    env,
    stop: async () => {
      await stack.stop();
      if (env.DATABASE_URL && env.DATABASE_NAME_PREFIX) await dropDatabasesWithPrefix(env.DATABASE_URL, env.DATABASE_NAME_PREFIX);
      if (env.REDIS_URL && env.REDIS_KEY_PREFIX) await deleteRedisKeys(env.REDIS_URL, env.REDIS_KEY_PREFIX);
    },
  };
}
