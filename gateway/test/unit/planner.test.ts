/** Subscription planning over the real supergraph: the owning subgraph's operation, the resume rewrite, the rest of the plan. */
import { ApolloGateway } from '@apollo/gateway';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readSupergraph } from '../../src/composition';
import { servedSupergraphOf } from '../../src/served-supergraph';
import { SubscriptionPlanner } from '../../src/subscriptions/planner';

// Planned on what Apollo Gateway itself built for the supergraph, as the gateway does.
const gateway = new ApolloGateway({ supergraphSdl: readSupergraph() });
let publishedApiSchema: unknown;
gateway.onSchemaLoadOrUpdate(({ apiSchema }) => (publishedApiSchema = apiSchema));
await gateway.load();
const served = servedSupergraphOf(gateway);
const planner = new SubscriptionPlanner(served);

describe('SubscriptionPlanner', () => {
  it('plans with Apollo Gateway’s own query planner and schemas (no second copy in memory)', () => {
    // The API schema Apollo announces is the one read from its internals (not a stale or second build).
    expect(served.apiSchema).toBe(publishedApiSchema);
    expect(served.queryPlanner.supergraph.apiSchema().toString()).toBe(served.federationApiSchema.toString());
    expect(planner.supergraphSchema).toBe(served.supergraphSchema);
    expect(planner.federationApiSchema).toBe(served.federationApiSchema);
  });

  it('sends the owning subgraph only its own fields, and plans the other subgraphs’ fields per event', () => {
    const prepared = planner.prepare(
      parse(`subscription($gymId: ID!) { machineStatusChanged(gymId: $gymId) { id status machine { name currentUser { displayName } } } }`),
      undefined,
    );
    expect(prepared.upstream.subgraph).toBe('gym');
    expect(prepared.upstream.query).toContain('machineStatusChanged');
    expect(prepared.upstream.query).not.toContain('displayName');
    expect(prepared.upstream.variableUsages).toContain('gymId');
    expect(JSON.stringify(prepared.eventPlan)).toContain('"serviceName":"user"');
  });

  it('rewrites a resumable field to resume from the last event seen (the `after`/`id` convention)', () => {
    const prepared = planner.prepare(parse(`subscription { machineStatusChanged(gymId: "g") { status } }`), undefined);
    expect(prepared.upstream.resume).toMatchObject({ rootResponseName: 'machineStatusChanged' });
    expect(prepared.upstream.query).toContain(`after: $${prepared.upstream.resume!.variable}`);
    expect(prepared.upstream.resume!.initial({})).toBeUndefined();
  });

  it('plans a subscription owned by one subgraph with no per-event fetches elsewhere', () => {
    const prepared = planner.prepare(parse(`subscription($c: ID!) { messageAdded(conversationId: $c) { id body } }`), undefined);
    expect(prepared.upstream.subgraph).toBe('chat');
    expect(JSON.stringify(prepared.eventPlan)).not.toContain('"serviceName":"user"');
  });

  it('reuses the prepared plan of an identical operation', () => {
    const text = `subscription { machineStatusChanged(gymId: "g") { status } }`;
    expect(planner.prepare(parse(text), undefined)).toBe(planner.prepare(parse(text), undefined));
  });
});
