import type { Resolvers } from '../generated/resolvers-types';

export const resolvers: Resolvers = {};
