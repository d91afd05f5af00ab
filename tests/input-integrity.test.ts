/**
 * Input integrity at the edge: every mutation of the supergraph's API schema — found
 * by walking the schema, so a new mutation is covered without touching this file — has each of
 * its string, id, date and float inputs replaced in turn by a NUL byte, other control
 * characters, a 1 MB string, an impossible or out-of-range date or `1e309`, sent inline and as variables,
 * through the gateway and straight to the owning subgraph. Every answer is BAD_USER_INPUT (never
 * INTERNAL_SERVER_ERROR, never HTTP 500) and no row appears or disappears in any database.
 */
import { randomUUID } from 'node:crypto';
import { readSupergraph } from '@fitgraph/gateway/composition';
import { subgraphNames, type SubgraphName } from '@fitgraph/platform';
import { demoAdmin, errorCodes, eventually, gatewayHeaders, graphql, graphqlData, signIn, startTestStack, type TestStack } from '@fitgraph/testkit';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The supergraph's root fields and input types are the API schema's (nothing is @inaccessible;
 * a test below checks it); its `@join__field(graph: GYM)` says which subgraph resolves each.
 */
const supergraphSdl = readSupergraph();
const apiSchema = buildSchema(supergraphSdl, { assumeValidSDL: true });
const ownerOf = (() => {
  const owners = new Map<string, SubgraphName>();
  for (const root of [apiSchema.getMutationType(), apiSchema.getQueryType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      const join = field.astNode?.directives?.find((d) => d.name.value === 'join__field');
      const graph = join?.arguments?.find((a) => a.name.value === 'graph')?.value;
      if (graph?.kind === 'EnumValue') owners.set(`${root!.name}.${field.name}`, graph.value.toLowerCase() as SubgraphName);
    }
  }
  return owners;
})();

/** An enum value in a literal (printed bare) and the float that JSON cannot carry. */
class EnumLiteral {
  constructor(readonly name: string) {}
}
const INFINITE = Symbol('1e309');

/** A valid value of `type` (every optional field filled too, so each can be fuzzed). */
function baseValue(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return baseValue(type.ofType as GraphQLInputType);
  if (isListType(type)) return [baseValue(type.ofType as GraphQLInputType)];
  if (isInputObjectType(type)) {
    return Object.fromEntries(Object.values(type.getFields()).map((field) => [field.name, baseValue(field.type)]));
  }
  if (isEnumType(type)) return new EnumLiteral(type.getValues()[0]!.name);
  switch (type.name) {
    case 'ID':
      return randomUUID();
    case 'Int':
      return 1;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return true;
    case 'Date':
      return '2026-01-15';
    case 'DateTime':
      return new Date().toISOString();
    default:
      return 'fuzz';
  }
}

type Kind = 'text' | 'Date' | 'DateTime' | 'Float';
interface Position {
  path: (string | number)[];
  kind: Kind;
}

/** Every leaf of `type` that is a string, an id, a date or a float, with its path. */
function positions(type: GraphQLInputType, path: (string | number)[] = []): Position[] {
  const nullable = getNullableType(type) as GraphQLInputType;
  if (isListType(nullable)) return positions(nullable.ofType as GraphQLInputType, [...path, 0]);
  if (isInputObjectType(nullable)) return Object.values(nullable.getFields()).flatMap((field) => positions(field.type, [...path, field.name]));
  if (!isScalarType(nullable)) return [];
  if (nullable.name === 'String' || nullable.name === 'ID') return [{ path, kind: 'text' }];
  if (nullable.name === 'Date' || nullable.name === 'DateTime' || nullable.name === 'Float') return [{ path, kind: nullable.name }];
  return [];
}

const megabyte = 'x'.repeat(1_000_000);
/** The bad values each kind of position is tried with (inline: those a document carries sensibly). */
const badValues: Record<Kind, { name: string; value: unknown; inline: boolean }[]> = {
  text: [
    { name: 'NUL byte', value: 'Ann\u0000ie', inline: true },
    { name: 'bell + escape', value: 'a\u0007\u001b[31mb', inline: true },
    { name: 'DEL', value: 'x\u007fy', inline: false },
    { name: 'lone surrogate', value: 'x\ud800y', inline: false },
    { name: '1 MB string', value: megabyte, inline: false },
  ],
  Date: [
    { name: 'impossible date', value: '2026-02-30', inline: true },
    { name: 'year 1', value: '0001-01-01', inline: true },
    { name: 'after 2100', value: '2101-01-01', inline: false },
    { name: 'a word', value: 'yesterday', inline: false },
    { name: 'NUL byte', value: '2026-01-15\u0000', inline: false },
  ],
  DateTime: [
    { name: 'impossible instant', value: '2026-02-30T10:00:00Z', inline: true },
    { name: 'year 1', value: '0001-01-01T00:00:00Z', inline: true },
    { name: 'before 1900 in UTC', value: '1900-01-01T00:30:00+01:00', inline: false },
    { name: 'no zone', value: '2026-01-15T10:00:00', inline: false },
    { name: 'a word', value: 'now', inline: false },
  ],
  Float: [{ name: '1e309', value: INFINITE, inline: true }],
};

const withValueAt = (base: unknown, path: (string | number)[], value: unknown): unknown => {
  if (path.length === 0) return value;
  const copy: any = Array.isArray(base) ? [...base] : { ...(base as object) };
  copy[path[0]!] = withValueAt(copy[path[0]!], path.slice(1), value);
  return copy;
};

/** A GraphQL literal (JSON string escapes are valid GraphQL string escapes). */
function literal(value: unknown): string {
  if (value === INFINITE) return '1e309';
  if (value instanceof EnumLiteral) return value.name;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value && typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${literal(v)}`).join(', ')} }`;
  return JSON.stringify(value);
}

/** JSON for variables, with enums as their names and the infinite float as the raw token `1e309`. */
const variablesJson = (variables: Record<string, unknown>) =>
  JSON.stringify(variables, (_key, value) => (value === INFINITE ? '__INFINITE__' : value instanceof EnumLiteral ? value.name : value)).replaceAll(
    '"__INFINITE__"',
    '1e309',
  );

interface Case {
  title: string;
  field: string;
  owner: SubgraphName;
  inline: string;
  variables: { query: string; json: string } | null;
}

/** Cases for one root field: each position of each argument, each bad value. */
function casesFor(operationType: 'mutation' | 'query', field: GraphQLField<unknown, unknown>): Case[] {
  const owner = ownerOf.get(`${operationType === 'mutation' ? 'Mutation' : 'Query'}.${field.name}`)!;
  const selection = isScalarType(getNamedType(field.type)) || isEnumType(getNamedType(field.type)) ? '' : ' { __typename }';
  const base = Object.fromEntries(field.args.map((arg) => [arg.name, baseValue(arg.type)]));
  const declarations = field.args.map((arg: GraphQLArgument) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
  const passing = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
  return field.args.flatMap((arg) =>
    positions(arg.type, [arg.name]).flatMap(({ path, kind }) =>
      badValues[kind].map((bad) => {
        const args = withValueAt(base, path, bad.value) as Record<string, unknown>;
        const inlineArgs = Object.entries(args).map(([name, value]) => `${name}: ${literal(value)}`).join(', ');
        return {
          title: `${field.name}(${path.join('.')}) with ${bad.name}`,
          field: field.name,
          owner,
          inline: bad.inline ? `${operationType} { ${field.name}(${inlineArgs})${selection} }` : '',
          variables: { query: `${operationType}(${declarations}) { ${field.name}(${passing})${selection} }`, json: variablesJson(args) },
        };
      }),
    ),
  );
}

const mutationCases = Object.values(apiSchema.getMutationType()!.getFields()).flatMap((field) => casesFor('mutation', field));
// The search terms and dates of queries, which reach SQL as well.
const queryCases = ['exercises', 'foods', 'user', 'gym', 'workout', 'conversation'].flatMap((name) =>
  casesFor('query', apiSchema.getQueryType()!.getFields()[name]!),
);

async function send(url: string, body: string, token: string) {
  // To a subgraph as the gateway would (its attestation); to the gateway as a client.
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...gatewayHeaders(url) }, body });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { nonJson: text.slice(0, 300) };
  }
  return { status: response.status, ...json } as { status: number; data?: any; errors?: any[] };
}

/** Rows of every table of every subgraph database of the stack (PostgreSQL only). */
async function rowCounts(stack: TestStack): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of subgraphNames) {
    const url = new URL(stack.env.DATABASE_URL!);
    url.pathname = `/${stack.env.DATABASE_NAME_PREFIX}${name}`;
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      const tables = await sql<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`;
      for (const { table_name } of tables) {
        const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table_name)}`;
        counts[`${name}.${table_name}`] = row!.n;
      }
    } finally {
      await sql.end();
    }
  }
  return counts;
}

describe('input integrity at the edge: every mutation fuzzed', () => {
  let stack: TestStack;
  let token: string;
  let before: Record<string, number> | null = null;

  beforeAll(async () => {
    stack = await startTestStack();
    token = (await signIn(stack.gateway.url, demoAdmin.email, demoAdmin.password)).accessToken;
    // The seed's announcements (gym.created, machine.created, user.created) travel through the
    // outbox after start: count once every replica knows what its owner has, or the count races them.
    if (stack.env.DATABASE_URL) {
      before = await eventually(
        async () => {
          const counts = await rowCounts(stack);
          const settled =
            counts['workout.known_machines'] === counts['gym.machines'] &&
            counts['user.known_gyms'] === counts['gym.gyms'] &&
            counts['chat.known_users'] === counts['user.users'];
          return settled ? counts : null;
        },
        { what: 'the seed announcements to reach every replica', timeoutMs: 30_000 },
      );
    }
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('enumerates the mutations from the API schema', () => {
    expect(supergraphSdl).not.toContain('@inaccessible');
    const fuzzed = new Set(mutationCases.map((c) => c.field));
    for (const name of ['signUp', 'signIn', 'updateProfile', 'sendMessage', 'startConversation', 'logSet', 'logMeal', 'checkIn']) expect(fuzzed).toContain(name);
    expect(mutationCases.length).toBeGreaterThan(100);
  });

  it.each([
    ['mutations', mutationCases],
    ['queries (search terms, ids)', queryCases],
  ])('refuses every broken input to %s with BAD_USER_INPUT, through the gateway and at the owning subgraph', async (_what, cases) => {
    const failures: string[] = [];
    const check = (title: string, response: { status: number; data?: any; errors?: any[] }) => {
      const codes = (response.errors ?? []).map((error) => error.extensions?.code);
      if (response.status >= 500 || codes.length === 0 || codes.some((code) => code !== 'BAD_USER_INPUT')) {
        failures.push(`${title}: HTTP ${response.status} ${JSON.stringify(response.errors ?? response).slice(0, 300)}`);
      }
    };
    for (const c of cases) {
      const targets: [string, string][] = [
        ['gateway', stack.gateway.url],
        [c.owner, stack.subgraphs[c.owner].url],
      ];
      for (const [where, url] of targets) {
        if (c.variables) check(`${c.title} (variables, ${where})`, await send(url, `{"query":${JSON.stringify(c.variables.query)},"variables":${c.variables.json}}`, token));
        if (c.inline) check(`${c.title} (inline, ${where})`, await send(url, JSON.stringify({ query: c.inline }), token));
      }
    }
    expect(failures).toEqual([]);
  });

  it('stored nothing: every table of every subgraph has the rows it had', async ({ skip }) => {
    if (!before) skip('row counts need PostgreSQL (DATABASE_URL)');
    expect(await rowCounts(stack)).toEqual(before);
  });

  it('still accepts tabs, newlines and carriage returns in text, and valid dates', async () => {
    // In a message body (a name is one line: its own rule, tests/data-integrity.test.ts).
    const { id: adminId } = (await graphqlData(stack.gateway.url, '{ me { id } }', { token })).me;
    const alex = '6a1b0c9e-0005-4000-8000-000000000001';
    const { startConversation } = await graphqlData(stack.gateway.url, 'mutation($ids: [ID!]!) { startConversation(memberIds: $ids) { id } }', {
      variables: { ids: [alex] },
      token,
    });
    const { sendMessage } = await graphqlData(stack.gateway.url, 'mutation($c: ID!, $body: String!) { sendMessage(conversationId: $c, body: $body) { body sender { id } } }', {
      variables: { c: startConversation.id, body: 'Tab\tand\r\nnewline' },
      token,
    });
    expect(sendMessage).toEqual({ body: 'Tab\tand\r\nnewline', sender: { id: adminId } });
    for (const date of ['2024-02-29', '1900-01-01', '2100-12-31']) {
      const day = await graphql(stack.gateway.url, `{ me { dailyNutrition(date: "${date}") { date } } }`, { token });
      expect(day.errors, date).toBeUndefined();
    }
    expect(errorCodes(await graphql(stack.gateway.url, '{ me { dailyNutrition(date: "2026-02-30") { date } } }', { token }))).toEqual(['BAD_USER_INPUT']);
  });
});
