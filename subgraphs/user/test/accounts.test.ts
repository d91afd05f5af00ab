/** The user subgraph alone: references to gyms, role changes that end sessions. */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, demoAdmin, errorCodes, graphql, graphqlData } from '@fitgraph/testkit';
import { schema } from '../src/server';
import { announceGyms, REFRESH, SIGN_IN, signUp, startUser, type UserHarness } from './harness';

const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';
const UPDATE = 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id displayName homeGym { id } } }';
const SET_ROLE = 'mutation($userId: ID!, $role: Role!) { setUserRole(userId: $userId, role: $role) { id role } }';
const ME = '{ me { id role } }';

const decodeJwt = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { role: string; sid: string };

describe(`user subgraph accounts (${backends.database}, ${backends.pubsub})`, () => {
  let user: UserHarness;
  beforeAll(async () => {
    user = await startUser();
  });
  afterAll(async () => {
    await user?.stop();
  });

  const row = async (id: string) => (await user.db.db.select().from(schema.users).where(eq(schema.users.id, id)))[0]!;

  it('refuses a homeGymId of no gym the gym subgraph announced, changing nothing; accepts one it did', async () => {
    const member = await signUp(user);
    const before = await row(member.id);
    const unknownGym = randomUUID();
    const refused = await graphql(user.url, UPDATE, { token: member.accessToken, variables: { input: { displayName: 'Renamed', homeGymId: unknownGym } } });
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors?.[0]?.extensions?.field).toBe('input.homeGymId');
    expect(refused.errors?.[0]?.message).toContain(unknownGym);
    expect(refused.data).toBeNull();
    expect(await row(member.id)).toEqual(before);

    await announceGyms(user, [ironHarbor]);
    const updated = await graphqlData(user.url, UPDATE, { token: member.accessToken, variables: { input: { homeGymId: ironHarbor.toUpperCase() } } });
    expect(updated.updateProfile).toEqual({ id: member.id, displayName: before.displayName, homeGym: { id: ironHarbor } });
    const cleared = await graphqlData(user.url, UPDATE, { token: member.accessToken, variables: { input: { homeGymId: null } } });
    expect(cleared.updateProfile.homeGym).toBeNull();
  });

  it('announces new accounts (user.created) for the subgraphs that store user ids', async () => {
    const member = await signUp(user);
    const outbox = await user.db.db.select().from(schema.eventOutbox).where(eq(schema.eventOutbox.topic, 'user.created'));
    expect(outbox.map((event) => (event.payload as { userId: string }).userId)).toContain(member.id);
    // The seeded demo accounts too.
    expect(outbox.map((event) => (event.payload as { userId: string }).userId)).toContain(demoAdmin.id);
  });

  it("ends every session of a user whose role changes: old tokens are refused at once, the new role comes with the next sign-in", async () => {
    const admin = (await graphqlData(user.url, SIGN_IN, { variables: { email: demoAdmin.email, password: demoAdmin.password } })).signIn;
    const member = await signUp(user);
    const otherSession = (await graphqlData(user.url, SIGN_IN, { variables: { email: member.email, password: member.password } })).signIn;
    expect((await graphqlData(user.url, ME, { token: member.accessToken })).me).toEqual({ id: member.id, role: 'MEMBER' });

    const demoted = await graphqlData(user.url, SET_ROLE, { token: admin.accessToken, variables: { userId: member.id, role: 'TRAINER' } });
    expect(demoted.setUserRole).toEqual({ id: member.id, role: 'TRAINER' });
    for (const token of [member.accessToken, otherSession.accessToken]) {
      const stale = await graphql(user.url, ME, { token });
      expect(stale.status).toBe(401);
      expect(errorCodes(stale)).toEqual(['UNAUTHENTICATED']);
    }
    for (const token of [member.refreshToken, otherSession.refreshToken]) {
      expect(errorCodes(await graphql(user.url, REFRESH, { variables: { token } }))).toEqual(['UNAUTHENTICATED']);
    }
    const sessions = await user.db.db.select().from(schema.sessions).where(eq(schema.sessions.userId, member.id));
    expect(sessions.map((session) => session.revokedReason)).toEqual(['role_changed', 'role_changed']);

    const again = (await graphqlData(user.url, SIGN_IN, { variables: { email: member.email, password: member.password } })).signIn;
    expect(decodeJwt(again.accessToken).role).toBe('TRAINER');
    expect((await graphqlData(user.url, ME, { token: again.accessToken })).me).toEqual({ id: member.id, role: 'TRAINER' });
    // Setting the role it already has changes nothing, so ends nothing.
    await graphqlData(user.url, SET_ROLE, { token: admin.accessToken, variables: { userId: member.id, role: 'TRAINER' } });
    expect((await graphqlData(user.url, ME, { token: again.accessToken })).me.role).toBe('TRAINER');
    // The admin's own session is untouched.
    expect((await graphqlData(user.url, ME, { token: admin.accessToken })).me.role).toBe('ADMIN');
  });
});
