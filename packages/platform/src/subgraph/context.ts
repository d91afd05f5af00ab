import type { Database, Logger, PubSubEngine } from '@fitgraph/service-kit';
import type { Viewer } from '../auth';
import type { EventBus } from '../topics';
import type { RequestInfo, SubgraphHandles } from './definition';

/** The context every subgraph's resolvers receive; `loaders` is the subgraph's own set. */
export interface SubgraphContext<TSchema extends Record<string, unknown>, TLoaders> {
  db: Database<TSchema>;
  pubsub: PubSubEngine;
  /** Durable events between subgraphs (topics.ts). */
  events: EventBus;
  /** The subgraph's logger with this request's `requestId` bound. */
  logger: Logger;
  request: RequestInfo;
  /** The verified caller, or null when anonymous; use the guards (service-kit auth.ts). */
  viewer: Viewer | null;
  /** Fresh per request, so batching and caching never cross requests or users. */
  loaders: TLoaders;
}

export function contextWithLoaders<TSchema extends Record<string, unknown>, TLoaders>(
  createLoaders: (db: Database<TSchema>) => TLoaders,
) {
  return (deps: SubgraphHandles<TSchema>, request: RequestInfo): SubgraphContext<TSchema, TLoaders> => ({
    db: deps.db,
    pubsub: deps.pubsub,
    events: deps.events,
    logger: request.logger,
    request,
    viewer: request.viewer,
    loaders: createLoaders(deps.db),
  });
}
