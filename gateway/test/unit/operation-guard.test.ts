/** The operation guard remembers each query text's checks (service-kit operation-limits.ts); what depends on variables or the schema is still decided per request. */
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createOperationGuard } from '@fitgraph/service-kit';

const sdl = 'type Query { gyms(first: Int): [Gym!]! } type Gym { id: ID! machines(first: Int): [Machine!]! } type Machine { id: ID! }';
const query = 'query($n: Int) { gyms(first: $n) { id machines(first: 10) { id } } }';
const codeOf = (checked: ReturnType<ReturnType<typeof createOperationGuard>['check']>) =>
  'errors' in checked ? checked.errors[0]!.extensions.code : 'ok';

describe('operation guard', () => {
  it('parses a query text once, but costs it for each set of variables', () => {
    const guard = createOperationGuard(() => buildSchema(sdl), { maxCost: 1000 });
    const small = guard.check({ query, operationName: null, variables: { n: 5 } });
    expect(codeOf(small)).toBe('ok');
    expect(codeOf(guard.check({ query, operationName: null, variables: { n: 500 } }))).toBe('OPERATION_LIMIT_EXCEEDED');
    const again = guard.check({ query, operationName: null, variables: { n: 5 } });
    expect(codeOf(again)).toBe('ok');
    expect('document' in again && 'document' in small && again.document).toBe('document' in small && small.document);
  });

  it('costs by the variables the cost depends on (list sizes, @include/@skip), whatever the others hold', () => {
    const guard = createOperationGuard(() => buildSchema(sdl), { maxCost: 1000 });
    const included = 'query($big: Boolean!, $id: ID) { gyms(first: 500) @include(if: $big) { id } small: gyms(first: 5) { id } }';
    expect(codeOf(guard.check({ query: included, operationName: null, variables: { big: false, id: 'a' } }))).toBe('ok');
    expect(codeOf(guard.check({ query: included, operationName: null, variables: { big: true, id: 'a' } }))).toBe('OPERATION_LIMIT_EXCEEDED');
    // Another value of a variable the cost does not read: the same answer.
    expect(codeOf(guard.check({ query: included, operationName: null, variables: { big: false, id: 'b' } }))).toBe('ok');
    expect(codeOf(guard.check({ query: included, operationName: null, variables: { big: true, id: 'b' } }))).toBe('OPERATION_LIMIT_EXCEEDED');
  });

  it('costs a remembered text afresh against a reloaded schema', () => {
    // In the reloaded schema the lists take no `first`: each counts as the default list size (10).
    let schema = buildSchema(sdl);
    const guard = createOperationGuard(() => schema, { maxCost: 1000 });
    expect(codeOf(guard.check({ query, operationName: null, variables: { n: 500 } }))).toBe('OPERATION_LIMIT_EXCEEDED');
    schema = buildSchema('type Query { gyms: [Gym!]! } type Gym { id: ID! machines: [Machine!]! } type Machine { id: ID! }');
    expect(codeOf(guard.check({ query, operationName: null, variables: { n: 500 } }))).toBe('ok');
  });

  it('gives the same answer to a text it refused before', () => {
    const guard = createOperationGuard(() => buildSchema(sdl), { maxDepth: 2 });
    const first = guard.check({ query, operationName: null, variables: null });
    expect(codeOf(first)).toBe('OPERATION_LIMIT_EXCEEDED');
    expect(codeOf(guard.check({ query, operationName: null, variables: null }))).toBe('OPERATION_LIMIT_EXCEEDED');
    expect(codeOf(guard.check({ query: '{ gyms(', operationName: null, variables: null }))).toBe('GRAPHQL_PARSE_FAILED');
  });
});
