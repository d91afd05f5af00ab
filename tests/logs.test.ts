/**
 * Clean logs: a stack logging everything (`LOG_LEVEL=trace`) to a file is driven
 * through the paths that used to leak — failed sign-ups (a failed INSERT logged the email and
 * the full password hash), failed sign-ins, bad and reused tokens, failed and rate-limited chat
 * sends — and the file is scanned: no password, hash, token, email or message body in any line.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes, graphql, graphqlData, secretsInLog, signUpUser, startTestStack, type TestAccount, type TestStack } from '@fitgraph/testkit';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }';
const SIGN_IN = 'mutation($email: String!, $password: String!) { signIn(email: $email, password: $password) { accessToken } }';
const REFRESH = 'mutation($token: String!) { refreshSession(refreshToken: $token) { refreshToken } }';
const START = 'mutation($members: [ID!]!) { startConversation(memberIds: $members) { id } }';
const SEND = 'mutation($id: ID!, $body: String!) { sendMessage(conversationId: $id, body: $body) { id } }';

describe('logs hold no secrets', () => {
  const logFile = join(tmpdir(), `fitgraph-logs-${randomUUID()}.jsonl`);
  let stack: TestStack;
  let alice: TestAccount;
  let bob: TestAccount;
  /** Everything the scan must not find, beyond the shapes it recognises on its own. */
  const secrets: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ LOG_LEVEL: 'trace', LOG_FILE: logFile, CHAT_SEND_RATE_LIMIT: '3' });
    alice = await signUpUser(stack.gateway.url);
    bob = await signUpUser(stack.gateway.url);
    secrets.push(alice.password, alice.accessToken, alice.refreshToken, bob.password, bob.accessToken, bob.refreshToken);
  });
  afterAll(async () => {
    await stack?.stop();
    if (!process.env.KEEP_TEST_LOGS) rmSync(logFile, { force: true });
  });

  it('drives sign-up, sign-in, token and chat failures', async () => {
    const url = stack.gateway.url;
    const password = `pw-${randomUUID()}`;
    secrets.push(password);
    // Sign-up failures: taken email, broken email, short password, 1 MB name.
    for (const input of [
      { email: alice.email, password, displayName: 'Twin' },
      { email: `nul\u0000${randomUUID()}@example.com`, password, displayName: 'Nul' },
      { email: `short-${randomUUID()}@example.com`, password: 'short', displayName: 'Short' },
      { email: `long-${randomUUID()}@example.com`, password, displayName: 'x'.repeat(1_000_000) },
    ]) {
      expect(errorCodes(await graphql(url, SIGN_UP, { variables: { input } }))).not.toContain('INTERNAL_SERVER_ERROR');
    }
    // Sign-in failures: wrong password, unknown account, NUL in the password.
    for (const variables of [
      { email: alice.email, password },
      { email: `nobody-${randomUUID()}@example.com`, password },
      { email: bob.email, password: `${password}\u0000` },
    ]) {
      expect(errorCodes(await graphql(url, SIGN_IN, { variables }))).not.toContain('INTERNAL_SERVER_ERROR');
    }
    // Bad tokens: garbage, a forged JWT, an unknown refresh token, a reused one.
    const forged = `${alice.accessToken.slice(0, -8)}AAAAAAAA`;
    secrets.push(forged);
    expect(errorCodes(await graphql(url, '{ me { id } }', { token: 'not-a-token-at-all' }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(url, '{ me { id } }', { token: forged }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await graphql(url, REFRESH, { variables: { token: `unknown-${randomUUID()}` } }))).toEqual(['UNAUTHENTICATED']);
    const rotated = await graphqlData(url, REFRESH, { variables: { token: bob.refreshToken } });
    secrets.push(rotated.refreshSession.refreshToken);
    expect(errorCodes(await graphql(url, REFRESH, { variables: { token: bob.refreshToken } }))).toEqual(['UNAUTHENTICATED']);

    // Chat: a sent body, a refused one (not a member), broken ones, rate-limited ones.
    const { startConversation } = await graphqlData(url, START, { variables: { members: [bob.id] }, token: alice.accessToken });
    const outsider = await signUpUser(url);
    secrets.push(outsider.password, outsider.accessToken, outsider.refreshToken);
    const bodies = Array.from({ length: 6 }, (_, i) => `secret body ${i} ${randomUUID()}`);
    secrets.push(...bodies);
    expect(errorCodes(await graphql(url, SEND, { variables: { id: startConversation.id, body: bodies[0] }, token: outsider.accessToken }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await graphql(url, SEND, { variables: { id: startConversation.id, body: `${bodies[1]}\u0000` }, token: alice.accessToken }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await graphql(url, SEND, { variables: { id: startConversation.id, body: `${bodies[2]} ${'x'.repeat(4001)}` }, token: alice.accessToken }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const sent = await Promise.all(bodies.slice(3).concat(bodies.slice(3)).map((body) => graphql(url, SEND, { variables: { id: startConversation.id, body }, token: alice.accessToken })));
    expect(sent.flatMap(errorCodes)).toContain('RATE_LIMITED');
  });

  it('logs a failed INSERT without its parameters, and shows the client none of them', async ({ skip }) => {
    if (!stack.env.DATABASE_URL) skip('needs PostgreSQL to add a refusing constraint');
    // A CHECK constraint the application does not know about makes the INSERT itself fail, the
    // way any unexpected database error does: Drizzle's error carries every parameter.
    const database = (name: string) => {
      const url = new URL(stack.env.DATABASE_URL!);
      url.pathname = `/${stack.env.DATABASE_NAME_PREFIX}${name}`;
      return postgres(url.toString(), { max: 1, onnotice: () => {} });
    };
    const users = database('user');
    const chat = database('chat');
    try {
      await users`alter table users add constraint no_refused_emails check (email not like '%refused%')`;
      await chat`alter table messages add constraint no_refused_bodies check (body not like '%refused%')`;
      const email = `refused-${randomUUID()}@example.com`;
      const body = `refused body ${randomUUID()}`;
      const password = `pw-${randomUUID()}`;
      secrets.push(email, body, password);
      const signUp = await graphql(stack.gateway.url, SIGN_UP, { variables: { input: { email, password, displayName: 'Refused' } } });
      // A sender who has not used up the chat rate limit yet.
      const carol = await signUpUser(stack.gateway.url);
      secrets.push(carol.password, carol.accessToken, carol.refreshToken);
      const { startConversation } = await graphqlData(stack.gateway.url, START, { variables: { members: [alice.id] }, token: carol.accessToken });
      const send = await graphql(stack.gateway.url, SEND, { variables: { id: startConversation.id, body }, token: carol.accessToken });
      for (const response of [signUp, send]) {
        expect(errorCodes(response)).toEqual(['INTERNAL_SERVER_ERROR']);
        expect(secretsInLog(JSON.stringify(response.errors), [email, body, password])).toEqual([]);
      }
      // Development (NODE_ENV=test): the subgraph's error reaches the client with its message and serviceName.
      expect(signUp.errors?.[0]).toMatchObject({ message: expect.stringMatching(/^Failed query: insert into "users"/), extensions: { serviceName: 'user' } });
      const log = readFileSync(logFile, 'utf8');
      expect(log).toContain('insert into \\"users\\"');
      expect(log).toContain('no_refused_bodies');
    } finally {
      await users`alter table users drop constraint if exists no_refused_emails`;
      await chat`alter table messages drop constraint if exists no_refused_bodies`;
      await users.end();
      await chat.end();
    }
  });

  it('wrote the log it is scanned for', () => {
    const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    const entries = lines.map((line) => JSON.parse(line) as { service?: string; msg?: string });
    const services = new Set(entries.map((entry) => entry.service));
    for (const service of ['gateway', 'user-subgraph', 'gym-subgraph', 'workout-subgraph', 'nutrition-subgraph', 'chat-subgraph']) expect(services).toContain(service);
    expect(entries.filter((entry) => entry.msg === 'graphql operation failed').length).toBeGreaterThan(10);
  });

  it('finds no password, hash, token, email or message body in any log line', () => {
    const log = readFileSync(logFile, 'utf8');
    expect(secretsInLog(log, secrets)).toEqual([]);
  });
});
