/**
 * The supergraph the gateway serves and what hangs off it, swapped as one when the file is
 * reloaded: Apollo Gateway itself (queries plan against the new supergraph at once), and for the
 * subscription side its planner and schemas (the same objects Apollo built, served-supergraph.ts),
 * the subgraph URLs and the data sources.
 */
import { ApolloGateway, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { Logger } from '@fitgraph/service-kit';
import { servedSupergraphOf } from './served-supergraph';
import { supergraphHash, watchSupergraphFile, type SupergraphFileWatcher } from './supergraph';
import { SubscriptionPlanner, type ResumeRules } from './subscriptions/planner';

/** One supergraph's derived state (what the subscription engine and readiness read). */
export interface SupergraphSnapshot {
  hash: string;
  /** Subgraph name -> the URL the gateway calls. */
  subgraphUrls: Record<string, string>;
  planner: SubscriptionPlanner;
  dataSources: ServiceMap;
}

export interface SupergraphStateOptions {
  initialSdl: string;
  buildService(subgraph: { name: string; url?: string }): GraphQLDataSource;
  urlFor(name: string, fileUrl?: string): string | undefined;
  resume?: ResumeRules;
  logger: Logger;
}

export class SupergraphState {
  /** Apollo Gateway over the served supergraph (handed to Apollo Server, which loads it on start). */
  readonly gateway: ApolloGateway;
  private updateApollo: ((sdl: string) => void) | undefined;
  private snapshot: SupergraphSnapshot | undefined;
  private readonly reloadListeners: ((snapshot: SupergraphSnapshot) => void)[] = [];

  constructor(private readonly options: SupergraphStateOptions) {
    // @apollo/gateway reports usage metrics to Apollo unless APOLLO_TELEMETRY_DISABLED is set in
    // the process's environment when it is constructed; FitGraph's start scripts set it (see
    // gateway/README.md). The gateway itself never writes the environment.
    this.gateway = new ApolloGateway({
      supergraphSdl: async ({ update }) => {
        this.updateApollo = update;
        return { supergraphSdl: options.initialSdl };
      },
      buildService: options.buildService,
      // Always, not only outside production: an invalid file must be refused before it is applied.
      validateSupergraph: true,
    });
  }

  /** The served supergraph's state; only after Apollo loaded it ({@link adoptLoaded}). */
  get current(): SupergraphSnapshot {
    if (!this.snapshot) throw new Error('the supergraph is not loaded yet (Apollo Server has not started)');
    return this.snapshot;
  }

  /** Takes the state of the supergraph Apollo loaded on start. */
  adoptLoaded(): SupergraphSnapshot {
    this.snapshot = this.adopt(this.options.initialSdl);
    return this.snapshot;
  }

  /** Calls `listener` with the new state after every reload. */
  onReload(listener: (snapshot: SupergraphSnapshot) => void): void {
    this.reloadListeners.push(listener);
  }

  /** Applies a new supergraph (Apollo throws, changing nothing, when it is invalid). */
  reload(sdl: string): void {
    if (supergraphHash(sdl) === this.current.hash) return;
    this.updateApollo!(sdl);
    this.snapshot = this.adopt(sdl);
    for (const listener of this.reloadListeners) listener(this.snapshot);
    this.options.logger.info({ supergraph: this.snapshot.hash.slice(0, 12), subgraphs: Object.keys(this.snapshot.subgraphUrls) }, 'supergraph reloaded');
  }

  /** Reloads `path` whenever it changes; an invalid file is logged and the previous supergraph stays. */
  watch(path: string): SupergraphFileWatcher {
    const { logger } = this.options;
    return watchSupergraphFile(path, {
      initialSdl: this.options.initialSdl,
      logger,
      onContent: (sdl) => {
        try {
          this.reload(sdl);
        } catch (error) {
          logger.error({ err: error, path }, 'invalid supergraph file; still serving the previous supergraph');
        }
      },
    });
  }

  /** Read right after Apollo loaded or applied a supergraph. */
  private adopt(sdl: string): SupergraphSnapshot {
    const served = servedSupergraphOf(this.gateway);
    const subgraphs = served.queryPlanner.supergraph.subgraphsMetadata();
    return {
      hash: supergraphHash(sdl),
      subgraphUrls: Object.fromEntries(subgraphs.map(({ name, url }) => [name, this.options.urlFor(name, url)!])),
      planner: new SubscriptionPlanner(served, { resume: this.options.resume }),
      dataSources: Object.fromEntries(subgraphs.map((subgraph) => [subgraph.name, this.options.buildService(subgraph)])),
    };
  }
}
