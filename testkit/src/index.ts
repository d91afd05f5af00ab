export * from './accounts';
export * from './databases';
export * from './env';
/** Typed operations for tests (`pnpm codegen` from testkit/src/operations). */
export * as operations from './generated/graphql';
export * from './gateway';
export * from './gateway-attestation';
export * from './graphql';
export * from './logs';
export * from './processes';
export * from './scope';
export * from './services';
export * from './stack';
export * from './subscriptions';
export * from './subgraph';
export * from './tcp-proxy';
export * from './nginx';
export * from './production';
