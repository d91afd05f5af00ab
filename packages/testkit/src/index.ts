export * from './accounts';
export * from './databases';
export * from './env';
export * from './graphql';
export * from './processes';
export * from './stack';
export * from './subscriptions';
export * from './subgraph';
