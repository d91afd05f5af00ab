import { randomUUID } from 'node:crypto';
import type { Role } from '@fitgraph/platform';
import { TestSetUserRoleDocument, TestSignInDocument, TestSignUpDocument, type TestAuthPayloadFragment } from './generated/graphql';
import { graphqlData } from './graphql';

/** A signed-in account made for a test. */
export interface TestAccount {
  id: string;
  email: string;
  password: string;
  displayName: string;
  role: Role;
  accessToken: string;
  refreshToken: string;
}

export interface SignUpOverrides {
  email?: string;
  password?: string;
  displayName?: string;
  /** Anything but MEMBER is granted by the seeded demo ADMIN (setUserRole, which ends the account's sessions), then the account signs in again so the tokens carry it. */
  role?: Role;
}

/** The seeded demo ADMIN (password: DEMO_PASSWORD, else the DEV-ONLY default). */
export const demoAdmin = {
  id: '6a1b0c9e-0005-4000-8000-000000000005',
  email: 'admin@demo.fitgraph.dev',
  password: process.env.DEMO_PASSWORD || 'fitgraph-demo-password',
};

/** Signs in through `gatewayUrl`; fails (printing the response) unless it succeeds. */
export async function signIn(gatewayUrl: string, email: string, password: string): Promise<TestAuthPayloadFragment> {
  const data = await graphqlData(gatewayUrl, TestSignInDocument, { variables: { email, password } });
  return data.signIn;
}

/** A new account through the gateway (a fresh unique email unless given), signed in. */
export async function signUpUser(gatewayUrl: string, overrides: SignUpOverrides = {}): Promise<TestAccount> {
  const email = overrides.email ?? `member-${randomUUID().slice(0, 12)}@test.fitgraph.dev`;
  const password = overrides.password ?? `pw-${randomUUID()}`;
  const displayName = overrides.displayName ?? `Test ${email.split('@')[0]}`;
  const { signUp } = await graphqlData(gatewayUrl, TestSignUpDocument, { variables: { input: { email, password, displayName } } });
  const account: TestAccount = {
    id: signUp.user.id,
    email: signUp.user.email ?? email,
    password,
    displayName: signUp.user.displayName,
    role: signUp.user.role,
    accessToken: signUp.accessToken,
    refreshToken: signUp.refreshToken,
  };
  if (!overrides.role || overrides.role === account.role) return account;
  await setRole(gatewayUrl, account.id, overrides.role);
  const session = await signIn(gatewayUrl, account.email, password);
  return { ...account, role: session.user.role, accessToken: session.accessToken, refreshToken: session.refreshToken };
}

/** Gives `userId` a role, as the seeded demo ADMIN. */
export async function setRole(gatewayUrl: string, userId: string, role: Role): Promise<void> {
  const admin = await signIn(gatewayUrl, demoAdmin.email, demoAdmin.password);
  await graphqlData(gatewayUrl, TestSetUserRoleDocument, { variables: { userId, role }, token: admin.accessToken });
}

/** Resolves once `check` returns a truthy value (polling, never a fixed sleep); fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
