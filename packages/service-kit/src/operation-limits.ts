import {
  GraphQLError,
  Kind,
  Lexer,
  parse,
  Source,
  TokenKind,
  visit,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { listCostEstimator, pageSizeArguments } from './operation-cost';

/**
 * What one operation may ask of a service: checked before it is validated or planned, the same
 * at the gateway (HTTP, graphql-ws, SSE) and at every subgraph (gateway/README.md, "Operation limits").
 */
export interface OperationLimits {
  /** Deepest field nesting; `{ gyms { id } }` is 2 (fragments add nothing; introspection apart). Default: 10. */
  maxDepth: number;
  /** Aliased fields, counted through fragments (each spread counts again). Default: 30. */
  maxAliases: number;
  /** Fields at the root of one operation (after expanding fragments). Default: 20. */
  maxRootFields: number;
  /** Lexical tokens of the document; enforced while parsing, so a huge document builds no AST. Default: 2000. */
  maxTokens: number;
  /** UTF-8 bytes of the query text. Default: 65536. */
  maxDocumentBytes: number;
  /**
   * Estimated cost: each field 1, lists multiplied by `first`/`last` or `defaultListSize`; also the
   * most fields and fragment spreads any operation of the document has once its fragments are
   * expanded. Default: 20000.
   */
  maxCost: number;
  /** Items a list without `first`/`last` is assumed to hold, for the cost estimate. Default: 10. */
  defaultListSize: number;
}

/** `createGateway({ limits })`: the operation limits plus the size of what a client may send. */
export interface GatewayLimitOptions extends Partial<OperationLimits> {
  /** Largest HTTP request body, SSE request body and WebSocket message, in bytes. Default: 1 MiB. */
  maxRequestBytes?: number;
}

export const defaultMaxRequestBytes = 1024 * 1024;

/**
 * Introspection (`__schema`, `__type`) may nest this deep whatever `maxDepth` is: the standard
 * introspection query of Sandbox and codegen is 15 deep. The gateway answers it itself (it never
 * reaches a subgraph), and production turns introspection off.
 */
const maxIntrospectionDepth = 15;
const introspectionRootFields = new Set(['__schema', '__type']);

export const defaultOperationLimits: OperationLimits = {
  // The subgraphs' own limit (SUBGRAPH_MAX_DEPTH) is 10 too: whatever passes here passes there.
  maxDepth: 10,
  maxAliases: 30,
  maxRootFields: 20,
  maxTokens: 2000,
  maxDocumentBytes: 64 * 1024,
  maxCost: 20_000,
  defaultListSize: 10,
};

/** `extensions.limit` of an OPERATION_LIMIT_EXCEEDED error: which limit the operation broke. */
export type LimitName = 'documentBytes' | 'tokens' | 'depth' | 'aliases' | 'rootFields' | 'cost' | 'requestBytes';

export const operationLimitCode = 'OPERATION_LIMIT_EXCEEDED';

/**
 * The one error every limit answers with: `extensions: { code: 'OPERATION_LIMIT_EXCEEDED',
 * limit, max, actual? }` (`actual` when it was measured in full).
 */
export function limitExceeded(limit: LimitName, max: number, actual?: number, what = limit as string): GraphQLError {
  const measured = actual !== undefined && Number.isFinite(actual) ? actual : undefined;
  const found = measured === undefined ? '' : ` (found ${measured})`;
  return new GraphQLError(`The operation exceeds the limit of ${max} ${what}${found}`, {
    extensions: { code: operationLimitCode, limit, max, ...(measured === undefined ? {} : { actual: measured }) },
  });
}

const describeLimit: Record<Exclude<LimitName, 'requestBytes'>, string> = {
  documentBytes: 'bytes of query text',
  tokens: 'tokens',
  depth: 'levels of nesting',
  aliases: 'aliases',
  rootFields: 'root fields',
  cost: 'cost points',
};

export interface OperationRequestText {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export interface OperationGuard {
  readonly limits: OperationLimits;
  /**
   * Parses the query within the size and token limits and checks depth, aliases, root fields
   * and cost. Syntax errors come back with code GRAPHQL_PARSE_FAILED (as Apollo's); an
   * operation over a limit with OPERATION_LIMIT_EXCEEDED. Does not run GraphQL validation.
   */
  check(request: OperationRequestText): { document: DocumentNode } | { errors: GraphQLError[] };
}

/** Counts lexical tokens, stopping one past `max` (the parser would stop there too). */
function countTokens(source: Source, max: number): number {
  const lexer = new Lexer(source);
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) {
    count += 1;
    if (count > max) break;
  }
  return count;
}

interface Shape {
  depth: number;
  aliases: number;
  /** Fields and fragment spreads once fragments are expanded (what validation, costing and planning would walk). */
  selections: number;
}

/** Counts past this are all "too many" (a document of doubled spreads reaches 2^600 within the token limit). */
const saturate = (count: number) => Math.min(count, Number.MAX_SAFE_INTEGER);
const emptyShape: Shape = { depth: 0, aliases: 0, selections: 0 };

/**
 * `walk` over each fragment's selections, memoised: a fragment spread N times is walked once. An
 * unknown fragment or one in a cycle counts as `empty` here (validation refuses it later).
 */
function perFragment<T>(fragments: Map<string, FragmentDefinitionNode>, empty: T, walk: (selectionSet: SelectionSetNode) => T): (name: string) => T {
  const known = new Map<string, T>();
  const inProgress = new Set<string>();
  return (name) => {
    const found = known.get(name);
    if (found !== undefined) return found;
    const fragment = fragments.get(name);
    if (!fragment || inProgress.has(name)) return empty;
    inProgress.add(name);
    const value = walk(fragment.selectionSet);
    inProgress.delete(name);
    known.set(name, value);
    return value;
  };
}

/**
 * Depth, aliases and expanded selections of every operation, fragments expanded (memoised per
 * fragment, so a fragment spread N times costs one walk; a fragment cycle counts as nothing here
 * and fails validation later). One walk of the document's own nodes: linear in its size however
 * its fragments multiply. Recursion is bounded by the token limit, checked before.
 */
function measureShape(document: DocumentNode): { depth: number; introspectionDepth: number; aliases: number; rootFields: number; selections: number } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fragmentShape = perFragment(fragments, emptyShape, (selectionSet) => selectionShape(selectionSet));
  const selectionShape = (selectionSet: SelectionSetNode): Shape => {
    let depth = 0;
    let aliases = 0;
    let selections = 0;
    for (const selection of selectionSet.selections) {
      let inner: Shape;
      if (selection.kind === Kind.FIELD) {
        const child = selection.selectionSet ? selectionShape(selection.selectionSet) : emptyShape;
        inner = { depth: child.depth + 1, aliases: child.aliases + (selection.alias ? 1 : 0), selections: child.selections + 1 };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = selectionShape(selection.selectionSet);
      } else {
        // The spread itself counts too: spreads of a fragment that is undefined (or only spreads
        // others) are walked by validation as often as fields are.
        const fragment = fragmentShape(selection.name.value);
        inner = { ...fragment, selections: fragment.selections + 1 };
      }
      depth = Math.max(depth, inner.depth);
      aliases = saturate(aliases + inner.aliases);
      selections = saturate(selections + inner.selections);
    }
    return { depth, aliases, selections };
  };
  const fragmentRootFields = perFragment(fragments, 0, (selectionSet) => rootFieldCount(selectionSet));
  const rootFieldCount = (selectionSet: SelectionSetNode): number => {
    let count = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) count += 1;
      else if (selection.kind === Kind.INLINE_FRAGMENT) count += rootFieldCount(selection.selectionSet);
      else count += fragmentRootFields(selection.name.value);
    }
    return saturate(count);
  };
  let result = { depth: 0, introspectionDepth: 0, aliases: 0, rootFields: 0, selections: 0 };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    // `__schema`/`__type` at the root are measured apart: the gateway answers them itself.
    const isIntrospection = (selection: SelectionNode) => selection.kind === Kind.FIELD && introspectionRootFields.has(selection.name.value);
    const graph = selectionShape({ ...definition.selectionSet, selections: definition.selectionSet.selections.filter((s) => !isIntrospection(s)) });
    const introspection = selectionShape({ ...definition.selectionSet, selections: definition.selectionSet.selections.filter(isIntrospection) });
    result = {
      depth: Math.max(result.depth, graph.depth),
      introspectionDepth: Math.max(result.introspectionDepth, introspection.depth),
      aliases: Math.max(result.aliases, graph.aliases + introspection.aliases),
      rootFields: Math.max(result.rootFields, rootFieldCount(definition.selectionSet)),
      selections: Math.max(result.selections, saturate(graph.selections + introspection.selections)),
    };
  }
  return result;
}

/** Query nodes (fields and fragments, expanded) the cost estimate walks before it gives up. */
const maxCostNodes = 10_000;

/**
 * The cost of the operation that would run, or null when the document or its variables are
 * invalid in a way that GraphQL validation or execution rejects anyway (they answer it then).
 */
function estimateCost(schema: GraphQLSchema, document: DocumentNode, request: OperationRequestText, limits: OperationLimits): number | 'too-many-nodes' | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operationName = request.operationName ?? undefined;
  // Only the operation that runs is costed; with several and no name none runs (Apollo refuses).
  if (operations.length > 1 && !operationName) return null;
  try {
    return getComplexity({
      schema,
      query: document,
      estimators: [listCostEstimator(limits.defaultListSize)],
      variables: request.variables ?? {},
      operationName: operationName ?? operations[0]?.name?.value,
      maxQueryNodes: maxCostNodes,
    });
  } catch (error) {
    if (error instanceof Error && /maximum allowed number of nodes/.test(error.message)) return 'too-many-nodes';
    // Variables or arguments that do not coerce: validation or execution refuses the operation.
    return null;
  }
}

type Checked = { document: DocumentNode } | { errors: GraphQLError[] };

const variablesIn = (value: ValueNode, into: Set<string>) =>
  visit(value, { Variable: (node) => void into.add(node.name.value) });

/**
 * The variables an operation's cost can depend on: those in a list-size argument (`first`,
 * `last`) and in a directive (`@include`/`@skip` decide what is counted). Every other variable
 * (an entity fetch's `representations`, an id) leaves the cost as it is, so the estimate of a
 * text is remembered per values of these alone.
 */
function costVariablesOf(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Field: (field) => {
      for (const argument of field.arguments ?? []) if (pageSizeArguments.includes(argument.name.value)) variablesIn(argument.value, names);
    },
    Directive: (directive) => {
      for (const argument of directive.arguments ?? []) variablesIn(argument.value, names);
    },
  });
  return [...names];
}

/** Query text kept with its checks, at most this many characters in all (least recently used evicted). */
const maxRememberedQueryChars = 256 * 1024;
/** Cost estimates kept per query text (by operation name and the variables the cost depends on). */
const maxCostsPerQuery = 16;

interface RememberedQuery {
  /** What the text alone decides: size, tokens, syntax, depth, aliases, root fields. */
  checked: Checked;
  /** The variables the cost depends on (see {@link costVariablesOf}); found once per text. */
  costVariables?: string[];
  /** The schema `costs` were estimated against (a reloaded supergraph starts them afresh). */
  schema?: GraphQLSchema;
  costs: Map<string, Checked>;
}

/**
 * The operation limits for one API schema; `check` is what every transport calls first.
 * `schema`: the API schema the cost is estimated against, read per check (it changes when the
 * supergraph reloads). Clients send the same few documents again and again, so the checks of
 * each query text are remembered (parsing and costing were ~4 % of the gateway's CPU per request).
 */
export function createOperationGuard(schema: () => GraphQLSchema, overrides: Partial<OperationLimits> = {}): OperationGuard {
  const limits: OperationLimits = { ...defaultOperationLimits, ...definedOnly(overrides) };
  const exceeded = (limit: Exclude<LimitName, 'requestBytes'>, max: number, actual?: number) =>
    ({ errors: [limitExceeded(limit, max, actual, describeLimit[limit])] });
  const checkText = (query: string): Checked => {
    const bytes = Buffer.byteLength(query, 'utf8');
    if (bytes > limits.maxDocumentBytes) return exceeded('documentBytes', limits.maxDocumentBytes, bytes);
    const source = new Source(query);
    let document: DocumentNode;
    try {
      const tokens = countTokens(source, limits.maxTokens);
      if (tokens > limits.maxTokens) return exceeded('tokens', limits.maxTokens);
      document = parse(source, { maxTokens: limits.maxTokens });
    } catch (error) {
      const syntax = error instanceof GraphQLError ? error : new GraphQLError(String(error));
      return {
        errors: [new GraphQLError(syntax.message, { source: syntax.source, positions: syntax.positions, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })],
      };
    }
    const shape = measureShape(document);
    if (shape.depth > limits.maxDepth) return exceeded('depth', limits.maxDepth, shape.depth);
    const introspectionMax = Math.max(limits.maxDepth, maxIntrospectionDepth);
    if (shape.introspectionDepth > introspectionMax) return exceeded('depth', introspectionMax, shape.introspectionDepth);
    if (shape.aliases > limits.maxAliases) return exceeded('aliases', limits.maxAliases, shape.aliases);
    if (shape.rootFields > limits.maxRootFields) return exceeded('rootFields', limits.maxRootFields, shape.rootFields);
    // Every field costs at least 1, whatever the schema and variables say: an operation whose
    // fragments expand past the cost limit (fields and spreads) is refused here, before the cost
    // estimate, GraphQL validation or the planner walk the expansion (2^24 from 24 doubled
    // spreads). Every operation of the document counts, not only the named one: all are validated.
    if (shape.selections > limits.maxCost) return exceeded('cost', limits.maxCost);
    return { document };
  };
  const checkCost = (document: DocumentNode, request: OperationRequestText, apiSchema: GraphQLSchema): Checked => {
    const cost = estimateCost(apiSchema, document, request, limits);
    if (cost === 'too-many-nodes') return exceeded('cost', limits.maxCost);
    if (cost !== null && cost > limits.maxCost) return exceeded('cost', limits.maxCost, cost);
    return { document };
  };
  const remembered = new Map<string, RememberedQuery>();
  let rememberedChars = 0;
  const rememberedFor = (query: string): RememberedQuery => {
    let entry = remembered.get(query);
    if (entry) {
      remembered.delete(query);
      remembered.set(query, entry);
      return entry;
    }
    entry = { checked: checkText(query), costs: new Map() };
    // Over-long texts are refused before parsing and cheap to refuse again: not kept.
    if (query.length > maxRememberedQueryChars) return entry;
    remembered.set(query, entry);
    rememberedChars += query.length;
    for (const [oldest] of remembered) {
      if (rememberedChars <= maxRememberedQueryChars) break;
      remembered.delete(oldest);
      rememberedChars -= oldest.length;
    }
    return entry;
  };
  return {
    limits,
    check: (request) => {
      const entry = rememberedFor(request.query);
      if (!('document' in entry.checked)) return entry.checked;
      const apiSchema = schema();
      if (entry.schema !== apiSchema) {
        entry.schema = apiSchema;
        entry.costs.clear();
      }
      entry.costVariables ??= costVariablesOf(entry.checked.document);
      const variables = request.variables ?? {};
      const key = `${request.operationName ?? ''}\n${JSON.stringify(entry.costVariables.map((name) => variables[name]))}`;
      let checked = entry.costs.get(key);
      if (!checked) {
        checked = checkCost(entry.checked.document, request, apiSchema);
        entry.costs.set(key, checked);
        if (entry.costs.size > maxCostsPerQuery) entry.costs.delete(entry.costs.keys().next().value!);
      }
      return checked;
    },
  };
}

function definedOnly<T extends object>(value: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
