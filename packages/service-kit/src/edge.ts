/**
 * What every service does at its edge, whoever calls it: depth limit, which peers may name the
 * client in `x-forwarded-for`, and the input limits (input-integrity.ts).
 */
import type { IncomingMessage } from 'node:http';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ValidationRule } from 'graphql';
import proxyaddr from 'proxy-addr';
import { defaultMaxStringLength, type InputLimits } from './input-integrity';

export interface EdgeOptions extends InputLimits {
  /** Deepest operation accepted (GraphQL Armor's count: fields nested, fragments flattened). */
  maxDepth: number;
  /** Peers whose `x-forwarded-for` is believed (IPs, CIDRs, `loopback`...); others are the client themselves. */
  trustedProxies: string[];
}

/** Subgraph defaults; see `subgraphEdgeEnv` / `commonEnv` for the settings. */
export const defaultSubgraphEdge: EdgeOptions = { maxDepth: 10, trustedProxies: ['loopback'], maxStringLength: defaultMaxStringLength };

/**
 * Refuses operations nested deeper than `maxDepth` during validation, before anything runs
 * (Apollo Server reports it as GRAPHQL_VALIDATION_FAILED; `extensions.limit` names the limit).
 */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return maxDepthRule({
    n: maxDepth,
    flattenFragments: true,
    propagateOnRejection: false,
    onReject: [
      (context, error) =>
        context?.reportError(
          new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', maximum: maxDepth } }),
        ),
    ],
  }) as unknown as ValidationRule;
}

/** A function telling whether the peer at `address` is a trusted proxy (Express's `trust proxy` accepts it too). */
export const proxyTrust = (trustedProxies: string[]) => proxyaddr.compile(trustedProxies);

/** The client's address: the peer, or the nearest `x-forwarded-for` entry not written by a trusted proxy. */
export function clientAddress(request: IncomingMessage, trust: (address: string, hop: number) => boolean): string | null {
  if (!request.socket.remoteAddress) return null;
  return proxyaddr(request, trust);
}
