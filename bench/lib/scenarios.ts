/** The four query scenarios of the side-by-side bench, built from the seeded data. */
import type { LoadRequest } from './load';
import type { SeededData } from './seed';

export interface Scenario {
  key: 'a' | 'b' | 'c' | 'd';
  title: string;
  /** The request connection `i` sends. */
  requestFor(connection: number): LoadRequest;
}

const body = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });

export const queries = {
  oneSubgraphBoard: 'query Board($id: ID!) { gym(id: $id) { name machines { id name kind status } } }',
  twoSubgraphBoard: 'query Board($id: ID!) { gym(id: $id) { name machines { name status currentUser { displayName } } } }',
  dashboard: `query Dashboard($date: Date!) {
  me {
    displayName email
    homeGym { name machines { name status currentUser { displayName } } }
    workouts(first: 10) { nodes { startedAt totalVolumeKg sets { reps weightKg exercise { name } machine { name } } } }
    dailyNutrition(date: $date) { kcal proteinG }
  }
}`,
  federatedList: 'query List($id: ID!) { gym(id: $id) { name machines { id name status currentUser { displayName homeGym { name } } } } }',
};

/**
 * `tokens[i]`: an access token of `data.memberIds[i]`. `displayToken`: the account a gym's floor
 * display signs in with; the boards (b, d) use it on every connection, because `currentUser` is
 * shown to signed-in viewers only (anonymous boards would never reach the user subgraph).
 */
export function buildScenarios(data: SeededData, tokens: string[], displayToken: string): Scenario[] {
  const boardGym = data.gymIds[1]!; // gym 0 is the subscription bench's
  const display = { authorization: `Bearer ${displayToken}` };
  return [
    {
      key: 'a',
      title: 'one-subgraph board (20 machines)',
      requestFor: () => ({ body: body(queries.oneSubgraphBoard, { id: boardGym }) }),
    },
    {
      key: 'b',
      title: 'two-subgraph board (20 machines, 16 in use; signed in as the floor display)',
      requestFor: () => ({ body: body(queries.twoSubgraphBoard, { id: boardGym }), headers: display }),
    },
    {
      key: 'c',
      title: 'member dashboard (user, gym, workout, nutrition; a different member per connection)',
      requestFor: (connection) => ({
        body: body(queries.dashboard, { date: data.mealDate }),
        headers: { authorization: `Bearer ${tokens[connection % tokens.length]!}` },
      }),
    },
    {
      key: 'd',
      title: '100-item federated list (gym -> user -> gym; signed in as the floor display)',
      requestFor: () => ({ body: body(queries.federatedList, { id: data.listGymId }), headers: display }),
    },
  ];
}
