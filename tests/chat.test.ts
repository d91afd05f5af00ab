/** Chat through the gateway: members and senders from the user subgraph, gym rooms from gym check-ins. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, errorCodes, eventually, graphql, graphqlData, signUpUser, startTestStack, type TestAccount, type TestStack } from '@fitgraph/testkit';

const ironHarbor = '6a1b0c9e-0001-4000-8000-000000000001';

const START = `mutation($ids: [ID!]!, $title: String) { startConversation(memberIds: $ids, title: $title) { id } }`;
const SEND = `mutation($c: ID!, $body: String!) { sendMessage(conversationId: $c, body: $body) { id body sender { displayName } } }`;
const JOIN_GYM = `mutation($gymId: ID!) { joinGymRoom(gymId: $gymId) { id kind gym { id name } members { displayName } } }`;

describe(`chat through the gateway (${backends.database}, ${backends.pubsub} pub/sub)`, () => {
  let stack: TestStack;
  let url: string;
  let alice: TestAccount;
  let bob: TestAccount;
  let carol: TestAccount;
  beforeAll(async () => {
    stack = await startTestStack();
    url = stack.gateway.url;
    alice = await signUpUser(url, { displayName: 'Alice' });
    bob = await signUpUser(url, { displayName: 'Bob' });
    carol = await signUpUser(url, { displayName: 'Carol' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('shows members and senders by name, resolved by the user subgraph', async () => {
    const { startConversation } = await graphqlData(url, START, { token: alice.accessToken, variables: { ids: [bob.id, carol.id], title: 'Leg day' } });
    const id = startConversation.id;
    await graphqlData(url, SEND, { token: alice.accessToken, variables: { c: id, body: 'Squats at 7?' } });
    const reply = await graphqlData(url, SEND, { token: bob.accessToken, variables: { c: id, body: '  In!  ' } });
    expect(reply.sendMessage).toMatchObject({ body: 'In!', sender: { displayName: 'Bob' } });

    const data = await graphqlData(
      url,
      `query($id: ID!) { conversation(id: $id) { title members { displayName } messages { body sender { displayName } conversation { title } } } conversations { id } }`,
      { token: carol.accessToken, variables: { id } },
    );
    // Members who joined together come in id order, not sign-up order: compare as a set.
    const names = (data.conversation.members as { displayName: string }[]).map((m) => m.displayName).sort();
    expect(names).toEqual(['Alice', 'Bob', 'Carol']);
    expect(data.conversation).toEqual({
      title: 'Leg day',
      members: expect.any(Array),
      messages: [
        { body: 'Squats at 7?', sender: { displayName: 'Alice' }, conversation: { title: 'Leg day' } },
        { body: 'In!', sender: { displayName: 'Bob' }, conversation: { title: 'Leg day' } },
      ],
    });
    expect(data.conversations.map((c: { id: string }) => c.id)).toContain(id);
  });

  // On purpose: an id that matches no account is refused instead of stored as a "Deleted user" member.
  it('refuses a member id that matches no account, and accepts one signed up a moment ago', async () => {
    const nobody = '6a1b0c9e-dead-4000-8000-000000000099';
    const bobs = async () => (await graphqlData(url, '{ conversations { id } }', { token: bob.accessToken })).conversations;
    const before = await bobs();
    const refused = await graphql(url, START, { token: alice.accessToken, variables: { ids: [bob.id, nobody] } });
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors?.[0]?.extensions?.field).toBe('memberIds');
    expect(await bobs()).toEqual(before);
    const newcomer = await signUpUser(url, { displayName: 'Newcomer' });
    const { startConversation } = await graphqlData(url, START, { token: alice.accessToken, variables: { ids: [bob.id, newcomer.id] } });
    const data = await graphqlData(url, `query($id: ID!) { conversation(id: $id) { members { displayName } } }`, {
      token: alice.accessToken,
      variables: { id: startConversation.id },
    });
    expect(data.conversation.members.map((m: { displayName: string }) => m.displayName).sort()).toEqual(['Alice', 'Bob', 'Newcomer']);
  });

  it('refuses outsiders and bad input with codes, through the gateway too', async () => {
    const outsider = await signUpUser(url);
    const { startConversation } = await graphqlData(url, START, { token: alice.accessToken, variables: { ids: [bob.id] } });
    const read = await graphql(url, `query($id: ID!) { conversation(id: $id) { title } }`, { token: outsider.accessToken, variables: { id: startConversation.id } });
    expect(errorCodes(read)).toEqual(['FORBIDDEN']);
    expect(errorCodes(await graphql(url, SEND, { token: outsider.accessToken, variables: { c: startConversation.id, body: 'hi' } }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await graphql(url, SEND, { token: alice.accessToken, variables: { c: startConversation.id, body: '   ' } }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await graphql(url, SEND, { variables: { c: startConversation.id, body: 'hi' } }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(url, `{ conversations { id } }`))).toEqual(['UNAUTHENTICATED']);
  });

  it("opens a gym's community room to members once they checked in there", async () => {
    const visitor = await signUpUser(url, { displayName: 'Visitor' });
    const stranger = await signUpUser(url, { displayName: 'Stranger' });
    expect(errorCodes(await graphql(url, JOIN_GYM, { token: visitor.accessToken, variables: { gymId: ironHarbor } }))).toEqual(['FORBIDDEN']);

    await graphqlData(url, `mutation($gymId: ID!) { checkIn(gymId: $gymId) { id } }`, { token: visitor.accessToken, variables: { gymId: ironHarbor } });
    // The gym subgraph tells chat through a durable event: joining works once chat has handled it.
    const joined = await eventually(
      async () => (await graphql(url, JOIN_GYM, { token: visitor.accessToken, variables: { gymId: ironHarbor } })).data?.joinGymRoom,
      { what: 'the check-in to reach chat' },
    );
    expect(joined).toMatchObject({ kind: 'GYM_ROOM', gym: { id: ironHarbor, name: 'Iron Harbor Fitness' } });
    expect(joined.members).toContainEqual({ displayName: 'Visitor' });
    expect(errorCodes(await graphql(url, JOIN_GYM, { token: stranger.accessToken, variables: { gymId: ironHarbor } }))).toEqual(['FORBIDDEN']);
  });
});
