/** The user subgraph on a free port with its own database, the run's pub/sub and its own event bus. */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { eventually, graphql, graphqlData, startTestSubgraph, type RequestOptions, type TestSubgraph } from '@fitgraph/testkit';
import { schema, userSubgraph } from '../src/server';

export type UserHarness = TestSubgraph<typeof schema>;

/** `env`: settings over process.env (e.g. SIGN_UP_MAX_PER_IP); its Redis keys are its own. */
export const startUser = (env: NodeJS.ProcessEnv = {}): Promise<UserHarness> =>
  // Cheaper password hashes, as in every test stack (the hash stores its parameters).
  startTestSubgraph(userSubgraph, { env: { PASSWORD_SCRYPT_N: '16384', PASSWORD_SCRYPT_P: '1', ...env } });

export const authFields = 'accessToken refreshToken expiresIn user { id email role }';
export const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { ${authFields} } }`;
export const SIGN_IN = `mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { ${authFields} } }`;
export const REFRESH = `mutation($token: String!) { refreshSession(refreshToken: $token) { ${authFields} } }`;

export interface Account {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** A fresh account signed up straight at the subgraph (`from`: the client address to send from). */
export async function signUp(user: UserHarness, options: Pick<RequestOptions, 'from'> = {}): Promise<Account> {
  const email = `member-${randomUUID().slice(0, 12)}@test.fitgraph.dev`;
  const password = `pw-${randomUUID()}`;
  const { signUp: payload } = await graphqlData(user.url, SIGN_UP, { ...options, variables: { input: { email, password, displayName: 'Test' } } });
  return { id: payload.user.id, email, password, accessToken: payload.accessToken, refreshToken: payload.refreshToken };
}

export const signInAttempt = (user: UserHarness, email: string, password: string, from: string) =>
  graphql(user.url, SIGN_IN, { variables: { email, password }, from });

/** Announces gyms as the gym subgraph does (`gym.created`) and waits until the user subgraph knows them. */
export async function announceGyms(user: UserHarness, gymIds: string[]): Promise<void> {
  for (const gymId of gymIds) await user.events.publish('gym.created', { gymId });
  await eventually(
    async () => {
      for (const gymId of gymIds) {
        if ((await user.db.db.select().from(schema.knownGyms).where(eq(schema.knownGyms.id, gymId))).length === 0) return false;
      }
      return true;
    },
    { what: 'the user subgraph to know the announced gyms' },
  );
}
