import { getNullableType, isListType } from 'graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';

/** Items a field will return, as far as the operation says: `first`/`last` when given (or defaulted). */
/** The arguments that say how many items a list field returns. */
export const pageSizeArguments = ['first', 'last'];

const pageSize = (args: Record<string, unknown>): number | undefined => {
  for (const name of pageSizeArguments) {
    const value = args[name];
    if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.floor(value));
  }
  return undefined;
};

/**
 * Cost of a field: 1 for itself plus its selections, times the items it returns; `__typename`
 * is free. A field with `first`/`last` (given or by their schema default, e.g.
 * `workouts(first: Int = 20)`) returns that many; another list returns `defaultListSize`; the
 * `nodes`/`edges` list of a `…Connection` is already counted by its parent's `first`/`last`;
 * introspection lists and a subgraph's `_entities` count once. So
 * `gyms { machines { gym { machines … } } }` grows by `defaultListSize` per level, and
 * `workouts(first: 100)` costs 100 × its selection. A subgraph fetch the query planner derives
 * from a client's operation thus never costs more than the operation did at the gateway.
 */
export const listCostEstimator =
  (defaultListSize: number): ComplexityEstimator =>
  ({ type, field, args, childComplexity }) => {
    // No resolver runs for it; the query planner adds it to subgraph fetches beside key fields.
    if (field.name === '__typename') return 0;
    const own = 1 + childComplexity;
    // A federation entity fetch: one representation per entity the gateway already costed in the
    // client's operation (lists and all), so one entity's selection is what it adds here.
    if (field.name === '_entities' && type.name === 'Query') return own;
    const page = pageSize(args);
    if (page !== undefined) return page * own;
    if (!isListType(getNullableType(field.type))) return own;
    if (type.name.endsWith('Connection')) return own;
    // Introspection lists are as long as the schema is (fixed, small); counted once so the
    // standard introspection query (Sandbox) fits. Nesting is still bounded by the depth limit.
    if (type.name.startsWith('__')) return own;
    return defaultListSize * own;
  };
