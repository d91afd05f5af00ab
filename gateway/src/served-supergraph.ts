/**
 * What Apollo Gateway built for the supergraph it serves, for the subscription side to plan and
 * execute on the same objects instead of a second Supergraph + QueryPlanner + API schemas next to
 * Apollo's (about 9 MiB of idle memory). @apollo/gateway keeps them in private fields, set together
 * on every load or `update` (`updateWithSchemaAndNotify`); read them right after one. The
 * gateway's own test of the planner fails if a new @apollo/gateway renames them.
 */
import type { ApolloGateway } from '@apollo/gateway';
import type { Schema } from '@apollo/federation-internals';
import type { QueryPlanner } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';

export interface ServedSupergraph {
  /** The supergraph as a graphql-js schema (what Apollo's executor takes). */
  supergraphSchema: GraphQLSchema;
  /** The API schema in federation-internals' model (what the planner and executor take). */
  federationApiSchema: Schema;
  /** The API schema as graphql-js, built by the `graphql` the Apollo packages import. */
  apiSchema: GraphQLSchema;
  queryPlanner: QueryPlanner;
}

interface ApolloGatewayInternals {
  supergraphSchema?: GraphQLSchema;
  apiSchema?: Schema;
  schema?: GraphQLSchema;
  queryPlanner?: QueryPlanner;
}

/** The supergraph `gateway` serves now; throws when it has loaded none. */
export function servedSupergraphOf(gateway: ApolloGateway): ServedSupergraph {
  const internals = gateway as unknown as ApolloGatewayInternals;
  const { supergraphSchema, apiSchema, schema, queryPlanner } = internals;
  if (!supergraphSchema || !apiSchema || !schema || !queryPlanner) {
    throw new Error('Apollo Gateway has no supergraph loaded (or @apollo/gateway no longer keeps supergraphSchema/apiSchema/schema/queryPlanner)');
  }
  return { supergraphSchema, federationApiSchema: apiSchema, apiSchema: schema, queryPlanner };
}
