import type { Viewer } from './auth';
import type { Database } from './db';
import type { EventBus } from './events';
import type { Logger } from './logger';
import type { PubSubEngine } from './pubsub';
import type { RequestInfo, SubgraphDependencies } from './subgraph-server';

/** The context every subgraph's resolvers receive; `loaders` is the subgraph's own set. */
export interface SubgraphContext<TSchema extends Record<string, unknown>, TLoaders> {
  db: Database<TSchema>;
  pubsub: PubSubEngine;
  /** Durable events between subgraphs (events.ts). */
  events: EventBus;
  logger: Logger;
  request: RequestInfo;
  /** The verified caller, or null when anonymous; use the guards in auth.ts. */
  viewer: Viewer | null;
  /** Fresh per request, so batching and caching never cross requests or users. */
  loaders: TLoaders;
}

export function contextWithLoaders<TSchema extends Record<string, unknown>, TLoaders>(
  createLoaders: (db: Database<TSchema>) => TLoaders,
) {
  return (deps: Required<SubgraphDependencies<TSchema>>, request: RequestInfo): SubgraphContext<TSchema, TLoaders> => ({
    ...deps,
    request,
    viewer: request.viewer,
    loaders: createLoaders(deps.db),
  });
}
