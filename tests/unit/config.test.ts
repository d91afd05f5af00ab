/** Configuration is parsed once per process, with every problem reported together. */
import { loadGatewayEnv } from '@fitgraph/gateway/env';
import { loadSubgraphConfig } from '@fitgraph/platform';
import { ConfigError } from '@fitgraph/service-kit';
import { userSubgraph } from '@fitgraph/user-subgraph';
import { chatSubgraph } from '@fitgraph/chat-subgraph';
import { describe, expect, it } from 'vitest';

const problemsOf = (load: () => unknown): string[] => {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('a subgraph configuration', () => {
  it('has the defaults of the embedded stack when nothing is set', () => {
    const config = loadSubgraphConfig(chatSubgraph, {});
    expect(config).toMatchObject({
      name: 'chat',
      production: false,
      port: 4005,
      host: '127.0.0.1',
      redis: { url: undefined, keyPrefix: 'fitgraph:' },
      database: { kind: 'pglite' },
      demoData: true,
      settings: { CHAT_SEND_RATE_LIMIT: 30, CHAT_SEND_RATE_WINDOW: 10 },
    });
    expect(config.auth.roles).toEqual(['MEMBER', 'TRAINER', 'GYM_STAFF', 'ADMIN']);
  });

  it('lists every problem at once: common, its own port, its own settings and the production key rule', () => {
    const problems = problemsOf(() =>
      loadSubgraphConfig(userSubgraph, {
        NODE_ENV: 'production',
        LOG_LEVEL: 'loud',
        USER_SUBGRAPH_PORT: 'seventy',
        SIGN_IN_MAX_FAILURES: '0',
        DATABASE_URL: 'nowhere',
      }),
    );
    const variables = problems.map((problem) => problem.split(':')[0]);
    expect(variables).toEqual(
      expect.arrayContaining(['LOG_LEVEL', 'USER_SUBGRAPH_PORT', 'SIGN_IN_MAX_FAILURES', 'DATABASE_URL', 'AUTH_SIGNING_KEY / AUTH_VERIFICATION_KEYS']),
    );
  });

  it('derives the database from the server URL, a per-subgraph URL winning', () => {
    const shared = loadSubgraphConfig(chatSubgraph, { DATABASE_URL: 'postgres://db:5432/postgres', DATABASE_NAME_PREFIX: 'fg_' });
    expect(shared.database).toMatchObject({ kind: 'postgres', databaseName: 'fg_chat', url: 'postgres://db:5432/fg_chat' });
    const own = loadSubgraphConfig(chatSubgraph, { DATABASE_URL: 'postgres://db:5432/postgres', CHAT_DATABASE_URL: 'postgres://other:5432/talk' });
    expect(own.database).toMatchObject({ kind: 'postgres', databaseName: 'talk' });
  });

  it('seeds no demo activity in production unless DEMO_PASSWORD enables the demo accounts', () => {
    const keys = { AUTH_SIGNING_KEY: 'k', AUTH_VERIFICATION_KEYS: JSON.stringify({ k1: 'pem' }), GATEWAY_SECRET: 'a-production-secret-of-at-least-32-chars' };
    expect(loadSubgraphConfig(chatSubgraph, { NODE_ENV: 'production', ...keys }).demoData).toBe(false);
    expect(loadSubgraphConfig(chatSubgraph, { NODE_ENV: 'production', DEMO_PASSWORD: 'a-demo-password', ...keys }).demoData).toBe(true);
  });
});

describe('the gateway configuration', () => {
  it('lists every problem at once, per-subgraph variables included', () => {
    const problems = problemsOf(() =>
      loadGatewayEnv({ PORT: '-1', SUBSCRIPTIONS_MAX: 'lots', GYM_SUBGRAPH_URL: 'not a url', AUTH_VERIFICATION_KEYS: '{not json' }),
    );
    const variables = problems.map((problem) => problem.split(':')[0]);
    expect(variables).toEqual(expect.arrayContaining(['PORT', 'SUBSCRIPTIONS_MAX', 'GYM_SUBGRAPH_URL', 'AUTH_VERIFICATION_KEYS']));
  });

  it('hands createGateway typed settings', () => {
    const config = loadGatewayEnv({ PORT: '4100', GYM_SUBGRAPH_URL: 'http://gym:4002/graphql', SUBSCRIPTIONS_PER_CONNECTION: '7' });
    expect(config).toMatchObject({ port: 4100, production: false, subgraphUrls: { gym: 'http://gym:4002/graphql' } });
    expect(config.subscriptions.limits?.perConnection).toBe(7);
  });
});
