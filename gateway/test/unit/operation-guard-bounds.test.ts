/**
 * The operation guard's work is linear in the document, however its fragments multiply, and
 * whatever it admits is small once expanded: so GraphQL validation, the cost estimate, Apollo's
 * own parse and validation and the query planner, which all walk the expanded operation, are
 * bounded too. Property-based over generated documents: fragment spreads (doubled, so 2^n
 * fields), cycles, undefined fragments, aliases, inline fragments and nested fields, under
 * operation names that exist or not and with several operations.
 */
import { Supergraph } from '@apollo/federation-internals';
import { createOperationGuard, defaultOperationLimits } from '@fitgraph/service-kit';
import fc from 'fast-check';
import { Kind, NoFragmentCyclesRule, parse, validate, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readSupergraph } from '../../src/composition';

const apiSchema = Supergraph.build(readSupergraph()).apiSchema().toGraphQLJSSchema();

/**
 * Fields and fragment spreads of the largest operation once fragments are expanded, the naive way
 * (a spread of a fragment already being expanded, or of none, expands to nothing); null past
 * `workBudget` steps.
 */
function expandedSelections(document: DocumentNode, workBudget: number): number | null {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  let work = 0;
  const walk = (selectionSet: SelectionSetNode, stack: Set<string>): number => {
    let count = 0;
    for (const selection of selectionSet.selections) {
      if ((work += 1) > workBudget) throw new RangeError('over budget');
      if (selection.kind === Kind.FIELD) count += 1 + (selection.selectionSet ? walk(selection.selectionSet, stack) : 0);
      else if (selection.kind === Kind.INLINE_FRAGMENT) count += walk(selection.selectionSet, stack);
      else {
        count += 1;
        const fragment = fragments.get(selection.name.value);
        if (fragment && !stack.has(fragment.name.value)) count += walk(fragment.selectionSet, new Set([...stack, fragment.name.value]));
      }
    }
    return count;
  };
  try {
    let largest = 0;
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) largest = Math.max(largest, walk(definition.selectionSet, new Set()));
    }
    return largest;
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/** Documents of `fragments` fragments on Query whose selections spread any fragment (cycles too), doubled or not. */
const documents = fc.integer({ min: 1, max: 26 }).chain((fragments) => {
  const spread = fc.nat(fragments).map((j) => `...F${j}`); // F<fragments> is never defined
  const { selections } = fc.letrec<{ selection: string; selections: string }>((tie) => ({
    selection: fc.oneof(
      { depthSize: 'small' },
      fc.constant('__typename'),
      fc.nat(40).map((i) => `a${i}: __typename`),
      spread,
      spread.map((s) => `${s} ${s}`),
      fc.constant('gyms { id name }'),
      tie('selections').map((inner) => `... on Query { ${inner} }`),
      tie('selections').map((inner) => `me { id ${inner} }`),
    ),
    selections: fc.array(tie('selection'), { minLength: 1, maxLength: 4 }).map((items) => items.join(' ')),
  }));
  // Mostly the doubling chain of the reported document (F<i> spreads F<i+1> twice), otherwise anything.
  const fragment = (i: number) =>
    fc.oneof({ arbitrary: fc.constant(`...F${i + 1} ...F${i + 1}`), weight: 6 }, { arbitrary: selections, weight: 1 }).map((body) => `fragment F${i} on Query { ${body} }`);
  return fc.record({
    operations: fc.array(selections, { minLength: 1, maxLength: 2 }),
    fragments: fc.tuple(...Array.from({ length: fragments }, (_, i) => fragment(i))),
    operationName: fc.constantFrom(undefined, 'Q0', 'Q1', 'Missing'),
  });
});

describe('operation guard on generated documents', () => {
  it('does bounded work on every document, and admits only operations within the cost limit once expanded', () => {
    const guard = createOperationGuard(() => apiSchema);
    const maxCost = defaultOperationLimits.maxCost;
    let slowestMs = 0;
    let admitted = 0;
    fc.assert(
      fc.property(documents, ({ operations, fragments, operationName }) => {
        const query = [...operations.map((selections, i) => `query Q${i} { ${selections} }`), ...fragments].join('\n');
        const started = performance.now();
        const checked = guard.check({ query, operationName });
        // What the admission runs next on an admitted document.
        if ('document' in checked) validate(apiSchema, checked.document);
        const elapsedMs = performance.now() - started;
        slowestMs = Math.max(slowestMs, elapsedMs);
        // Generous for a shared CI machine (a GC pause, a busy core); linear work takes ~1-50 ms here,
        // while the expansion of the reported document took 29 s.
        expect(elapsedMs, query).toBeLessThan(1000);
        // Admitted without a fragment cycle (a cycle fails validation, above, within the time bound):
        // the expansion every later walk makes is within the limit.
        if ('document' in checked && validate(apiSchema, checked.document, [NoFragmentCyclesRule]).length === 0) {
          admitted += 1;
          const selections = expandedSelections(parse(query), 4 * maxCost);
          expect(selections, query).not.toBeNull();
          expect(selections!, query).toBeLessThanOrEqual(maxCost);
        }
      }),
      { numRuns: 400, seed: 20261208 },
    );
    expect(admitted).toBeGreaterThan(20);
    console.info(`operation guard: 400 generated documents, ${admitted} admitted without cycles, slowest check + validation ${slowestMs.toFixed(1)} ms`);
  });

  it('refuses the reported document of 24 doubled spreads in milliseconds', () => {
    const guard = createOperationGuard(() => apiSchema);
    const chain = Array.from({ length: 24 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ');
    for (const leaf of ['', 'fragment F24 on Query { __typename }', 'fragment F24 on Query { ...F0 }']) {
      const started = performance.now();
      const checked = guard.check({ query: `{ ...F0 } ${chain} ${leaf}` });
      const errors = 'document' in checked ? validate(apiSchema, checked.document) : checked.errors;
      expect(performance.now() - started).toBeLessThan(100);
      expect(errors.length).toBeGreaterThan(0);
    }
  });
});
