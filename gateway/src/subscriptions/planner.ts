import { buildOperationContext } from '@apollo/gateway';
import { operationFromDocument, printSchema as printFederationSchema, type Schema } from '@apollo/federation-internals';
import type { FetchNode, PlanNode, QueryPlan, QueryPlanner } from '@apollo/query-planner';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  GraphQLError,
  GraphQLSchema,
  isInterfaceType,
  isObjectType,
  Kind,
  OperationTypeNode,
  parse,
  parseType,
  print,
  valueFromAST,
  visit,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type OperationDefinitionNode,
} from 'graphql';
import type { ServedSupergraph } from '../served-supergraph';

type OperationContext = ReturnType<typeof buildOperationContext>;

/**
 * How a subscription field resumes after the upstream stream broke: re-subscribe with
 * `argument` set to the `cursor` field of the last event delivered (e.g. chat's
 * `messageAdded(conversationId, after)` resumes with `after = <last message id>`).
 */
export interface ResumeRule {
  argument: string;
  cursor: string;
}

/**
 * Per `Subscription` field: a rule, or `false` for "never resume". Fields not listed follow
 * the convention: an `after: ID|String` argument and an `id` field on the payload type.
 */
export type ResumeRules = Record<string, ResumeRule | false>;

/** The upstream half of a planned subscription: what the gateway sends to the owning subgraph. */
export interface UpstreamOperation {
  subgraph: string;
  /** The subgraph operation, anonymous, with the resume rewrite applied. */
  query: string;
  /** Client variables the subgraph operation uses (`resume.variable` holds the initial cursor). */
  variableUsages: string[];
  resume?: {
    /** Variable the rewrite put on the resume argument. */
    variable: string;
    /** Initial value of that argument in the client's operation (literal or variable). */
    initial: (variables: Record<string, unknown>) => unknown;
    /** Response name of the root field in the event data. */
    rootResponseName: string;
    /** Alias under which the rewrite selects the cursor field. */
    cursorAlias: string;
  };
}

/** Everything needed to run one client's subscription operation, shared by identical operations. */
export interface PreparedSubscription {
  /** Stable id of (document, operationName): identical client operations share executions. */
  key: string;
  document: DocumentNode;
  operationName: string | undefined;
  operation: OperationDefinitionNode;
  operationContext: OperationContext;
  /** `Sequence[primary, rest]`: run per event with the primary fetch answered by the event. */
  eventPlan: QueryPlan;
  primary: FetchNode;
  upstream: UpstreamOperation;
}

export interface SubscriptionPlannerOptions {
  resume?: ResumeRules;
  /** Prepared operations kept (least recently used evicted). Default: 500. */
  cacheSize?: number;
}

/**
 * Plans subscriptions with Apollo's own QueryPlanner over the supergraph (the very planner and
 * schemas Apollo Gateway serves queries with, see served-supergraph.ts): a `Subscription` node
 * with a `primary` fetch to the subgraph that owns the root field and a `rest` plan of entity
 * fetches to the others.
 */
export class SubscriptionPlanner {
  /** The API schema for validation and variable coercion, built by the `graphql` this module imports. */
  readonly apiSchema: GraphQLSchema;
  /** The same, built by federation-internals' own `graphql` (what the executor's introspection uses). */
  private readonly executorApiSchema: GraphQLSchema;
  readonly supergraphSchema: GraphQLSchema;
  readonly federationApiSchema: Schema;
  private readonly planner: QueryPlanner;
  private readonly cache = new Map<string, PreparedSubscription>();
  private readonly cacheSize: number;
  private readonly resume: ResumeRules;

  constructor(served: ServedSupergraph, options: SubscriptionPlannerOptions = {}) {
    this.federationApiSchema = served.federationApiSchema;
    this.executorApiSchema = served.apiSchema;
    // Under a bundler/test runner that resolves `graphql` to its ESM build, the Apollo packages
    // (CommonJS) still get the CommonJS one, and graphql-js refuses schemas "from another realm":
    // then this module needs its own build of the API schema. In plain Node (and the compiled
    // bundle) both are the same module and Apollo's schema is used as it is.
    this.apiSchema =
      served.apiSchema instanceof GraphQLSchema ? served.apiSchema : buildSchema(printFederationSchema(served.federationApiSchema));
    this.supergraphSchema = served.supergraphSchema;
    this.planner = served.queryPlanner;
    this.cacheSize = options.cacheSize ?? 500;
    this.resume = options.resume ?? {};
  }

  /** Plans a validated subscription document; throws GraphQLError when it cannot be planned. */
  prepare(document: DocumentNode, operationName: string | undefined): PreparedSubscription {
    const key = `${operationName ?? ''}\n${print(document)}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const operationContext = buildOperationContext({ schema: this.executorApiSchema, operationDocument: document, operationName });
    const plan = this.planner.buildQueryPlan(
      operationFromDocument(this.federationApiSchema, document, { operationName, validate: false }),
    );
    if (plan.node?.kind !== 'Subscription') {
      throw new GraphQLError('The operation is not a subscription the gateway can plan', {
        extensions: { code: 'BAD_REQUEST' },
      });
    }
    const { primary, rest } = plan.node;
    const nodes: PlanNode[] = rest ? [primary, rest] : [primary];
    const prepared: PreparedSubscription = {
      key,
      document,
      operationName,
      operation: operationContext.operation,
      operationContext,
      eventPlan: { kind: 'QueryPlan', node: { kind: 'Sequence', nodes } },
      primary,
      upstream: this.upstreamOperation(primary),
    };
    this.cache.set(key, prepared);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return prepared;
  }

  /** The resume rule of a `Subscription` field: configured, by convention, or none. */
  resumeRule(fieldName: string): ResumeRule | undefined {
    const configured = this.resume[fieldName];
    if (configured === false) return undefined;
    const field = this.apiSchema.getSubscriptionType()?.getFields()[fieldName];
    if (!field) return undefined;
    const rule = configured ?? { argument: 'after', cursor: 'id' };
    return ruleApplies(field, rule, configured !== undefined) ? rule : undefined;
  }

  /**
   * The subgraph operation sent upstream. It is the planner's primary fetch, made anonymous (so
   * client operation names do not split otherwise identical upstream streams) and, for a
   * resumable field, with the resume argument moved onto a variable of its own and the cursor
   * selected under an alias (the per-event result shaping drops it again).
   */
  private upstreamOperation(primary: FetchNode): UpstreamOperation {
    const document = parse(primary.operation);
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    const variableUsages = [...(primary.variableUsages ?? [])];
    const root = operation.selectionSet.selections[0];
    const rule = root?.kind === Kind.FIELD ? this.resumeRule(root.name.value) : undefined;
    if (!rule || root?.kind !== Kind.FIELD) {
      return { subgraph: primary.serviceName, query: print({ ...document, definitions: [{ ...operation, name: undefined }] }), variableUsages };
    }
    const argument = this.apiSchema.getSubscriptionType()!.getFields()[root.name.value]!.args.find((a) => a.name === rule.argument)!;
    const taken = new Set((operation.variableDefinitions ?? []).map((d) => d.variable.name.value));
    const variable = unusedName('resumeCursor', taken);
    const responseNames = new Set(
      (root.selectionSet?.selections ?? []).flatMap((s) => (s.kind === Kind.FIELD ? [s.alias?.value ?? s.name.value] : [])),
    );
    const cursorAlias = unusedName('_resumeCursor', responseNames);
    const given = root.arguments?.find((a) => a.name.value === rule.argument);
    const rewrittenRoot: FieldNode = {
      ...root,
      arguments: [
        ...(root.arguments ?? []).filter((a) => a.name.value !== rule.argument),
        {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: rule.argument },
          value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: variable } },
        },
      ],
      selectionSet: {
        kind: Kind.SELECTION_SET,
        selections: [
          ...(root.selectionSet?.selections ?? []),
          {
            kind: Kind.FIELD,
            alias: { kind: Kind.NAME, value: cursorAlias },
            name: { kind: Kind.NAME, value: rule.cursor },
          },
        ],
      },
    };
    // A client variable that only fed the resume argument is no longer used: drop it (graphql
    // rejects unused variables).
    const stillUsed = new Set<string>();
    visit(rewrittenRoot, { Variable: (node) => void stillUsed.add(node.name.value) });
    const rewritten: OperationDefinitionNode = {
      ...operation,
      name: undefined,
      operation: OperationTypeNode.SUBSCRIPTION,
      variableDefinitions: [
        ...(operation.variableDefinitions ?? []).filter((d) => stillUsed.has(d.variable.name.value)),
        {
          kind: Kind.VARIABLE_DEFINITION,
          variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: variable } },
          type: parseType(String(argument.type)),
        },
      ],
      selectionSet: { ...operation.selectionSet, selections: [rewrittenRoot] },
    };
    return {
      subgraph: primary.serviceName,
      query: print({ ...document, definitions: [rewritten] }),
      variableUsages: variableUsages.filter((name) => stillUsed.has(name)),
      resume: {
        variable,
        initial: (variables) => (given ? valueFromAST(given.value, argument.type, variables) : undefined),
        rootResponseName: root.alias?.value ?? root.name.value,
        cursorAlias,
      },
    };
  }
}

function ruleApplies(field: GraphQLField<unknown, unknown>, rule: ResumeRule, configured: boolean): boolean {
  const argument = field.args.find((a) => a.name === rule.argument);
  const payload = getNamedType(field.type);
  const cursorField = isObjectType(payload) || isInterfaceType(payload) ? payload.getFields()[rule.cursor] : undefined;
  const valid = !!argument && !!cursorField;
  if (!valid && configured) {
    throw new Error(
      `Resume rule for Subscription.${field.name} names argument "${rule.argument}" / cursor field "${rule.cursor}" that the schema does not have`,
    );
  }
  if (!valid || configured) return valid;
  // The convention only covers scalar cursors that the argument can take back as-is.
  const argumentType = getNamedType(argument!.type).name;
  const cursorType = getNamedType(getNullableType(cursorField!.type)).name;
  return (argumentType === 'ID' || argumentType === 'String') && (cursorType === 'ID' || cursorType === 'String');
}

function unusedName(base: string, taken: Set<string>): string {
  let name = base;
  while (taken.has(name)) name = `${name}_`;
  return name;
}
