export * from './databases';
export * from './env';
export * from './graphql';
export * from './stack';
