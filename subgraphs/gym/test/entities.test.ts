/** Federation entry points load in batches: the SQL statement count does not grow with the number of entities. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, graphqlData } from '@fitgraph/testkit';
import { createGym, startGym, viewer, type GymHarness } from './harness';

const MACHINES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Machine { id name status statusChangedAt currentUser { id } gym { id name occupancy } }
  }
}`;
const GYMS = `query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Gym { id name occupancy machines { id name gym { id name } } }
  }
}`;

describe(`batched entity loading in the gym subgraph (${backends.database})`, () => {
  let gym: GymHarness;
  let machineIds: string[];
  let gymIds: string[];
  let token: string;
  beforeAll(async () => {
    gym = await startGym();
    const gyms = await Promise.all(Array.from({ length: 20 }, () => createGym(gym.db, 5)));
    gymIds = gyms.map((g) => g.gym.id);
    machineIds = gyms.flatMap((g) => g.machines.map((m) => m.id));
    token = (await viewer()).token;
  });
  afterAll(async () => {
    await gym?.stop();
  });

  /** Statements the subgraph ran to answer one request. */
  async function statementsFor(query: string, representations: unknown[]) {
    gym.db.queries.length = 0;
    const data = await graphqlData(gym.url, query, { token, variables: { representations } });
    return { data, statements: [...gym.db.queries] };
  }

  it('resolves 100 Machine references (with gym, occupancy and holder) in 3 statements, as many as 5 take', async () => {
    const hundred = await statementsFor(MACHINES, machineIds.map((id) => ({ __typename: 'Machine', id })));
    expect(hundred.data._entities).toHaveLength(100);
    expect(hundred.data._entities.map((m: { id: string }) => m.id)).toEqual(machineIds);
    expect(new Set(hundred.data._entities.map((m: { gym: { id: string } }) => m.gym.id)).size).toBe(20);
    // machines by id, gyms by id, occupancy by gym id.
    expect(hundred.statements).toHaveLength(3);

    const five = await statementsFor(MACHINES, machineIds.slice(0, 5).map((id) => ({ __typename: 'Machine', id })));
    expect(five.statements).toHaveLength(hundred.statements.length);
  });

  it('resolves 20 Gym references with all their machines in 3 statements', async () => {
    const { data, statements } = await statementsFor(GYMS, gymIds.map((id) => ({ __typename: 'Gym', id })));
    expect(data._entities).toHaveLength(20);
    for (const g of data._entities) {
      expect(g.machines).toHaveLength(5);
      for (const m of g.machines) expect(m.gym.id).toBe(g.id);
    }
    // gyms by id, machines by gym id, occupancy by gym id (machine.gym comes from the loader's cache).
    expect(statements).toHaveLength(3);
  });

  it('answers unknown and malformed references with null without querying for them', async () => {
    const { data, statements } = await statementsFor(MACHINES, [
      { __typename: 'Machine', id: machineIds[0] },
      { __typename: 'Machine', id: '6a1b0c9e-0000-4000-8000-0000000000ff' },
      { __typename: 'Machine', id: 'not-a-uuid' },
    ]);
    expect(data._entities.map((m: { id: string } | null) => m?.id ?? null)).toEqual([machineIds[0], null, null]);
    expect(statements).toHaveLength(3);
  });
});
