/**
 * Input integrity at the edge, the same for the gateway and every subgraph: before an operation
 * runs, every string it carries (inline literals and variables, at any depth) is free of control
 * characters other than \t \n \r, is well-formed Unicode and at most `maxStringLength` long; every
 * number is finite (`1e309` parses to Infinity); `Date`/`DateTime` values are real calendar
 * days / instants within `dateInputRange` (scalars.ts; the gateway's API schema has no scalar
 * code of its own). A violation is BAD_USER_INPUT naming the input (`extensions.field`), so
 * nothing broken reaches a resolver or the database.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  TypeInfo,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  typeFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLScalarType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import { ErrorCode } from './errors';
import { outOfDateRange, scalarResolvers } from './scalars';

export interface InputLimits {
  /** Longest string argument or variable (UTF-16 code units). */
  maxStringLength: number;
}

/** Default of `MAX_STRING_LENGTH`: above every field's own limit, well below the 1 MB request body. */
export const defaultMaxStringLength = 100_000;

/** Variables nested deeper than this are refused before graphql-js coerces them recursively. */
const maxValueNesting = 64;

// C0 controls except \t \n \r, and DEL.
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `value` cannot be a string input, or null when it can. */
export function stringInputProblem(value: string, limits: InputLimits): string | null {
  if (value.length > limits.maxStringLength) return `must be at most ${limits.maxStringLength} characters`;
  if (controlCharacter.test(value)) return 'must not contain control characters';
  if (loneSurrogate.test(value)) return 'must be valid Unicode text';
  return null;
}

const checkedScalars = new Map<string, GraphQLScalarType>(Object.entries(scalarResolvers));

const refused = (field: string, problem: string) =>
  new GraphQLError(field ? `${field}: ${problem}` : problem, {
    extensions: { code: ErrorCode.BadUserInput, ...(field ? { field } : {}) },
  });

interface Problem {
  field: string;
  problem: string;
}

const scalarRefusal = (scalar: string) => (scalar === 'Date' ? 'must be a calendar date (YYYY-MM-DD)' : `must be a valid ${scalar}`);

/** Why a `Date`/`DateTime` value is refused by its scalar's `parse` (variable or literal), or null (other types: null). */
function scalarProblem(type: GraphQLInputType | null | undefined, parse: (scalar: GraphQLScalarType) => unknown): string | null {
  const name = type ? getNamedType(type).name : '';
  const scalar = checkedScalars.get(name);
  if (!scalar) return null;
  try {
    parse(scalar);
    return null;
  } catch (error) {
    return error instanceof Error && error.message.endsWith(outOfDateRange) ? outOfDateRange : scalarRefusal(name);
  }
}

/** The first integrity violation of `operation` (in `document`) with `variables`, or null. */
export function inputIntegrityError(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined | null,
  limits: InputLimits,
): GraphQLError | null {
  let found: GraphQLError | null = null;
  const typeInfo = new TypeInfo(schema);
  const path: string[] = [];
  const literalProblem = (node: ValueNode) => scalarProblem(typeInfo.getInputType(), (scalar) => scalar.parseLiteral(node));
  const report = (problem: string | null) => {
    if (problem && !found) found = refused(path.join('.'), problem);
  };
  const enterName = { enter: (node: { name: { value: string } }) => void path.push(node.name.value), leave: () => void path.pop() };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument: enterName,
      ObjectField: enterName,
      StringValue: (node) => report(stringInputProblem(node.value, limits) ?? literalProblem(node)),
      FloatValue: (node) => report(Number.isFinite(Number(node.value)) ? literalProblem(node) : 'must be a finite number'),
      IntValue: (node) => report(literalProblem(node)),
    }),
  );
  if (found) return found;

  /** The first problem in a variable's value, with the path to it (`input.email`). */
  const check = (value: unknown, type: GraphQLInputType | undefined, field: string, nesting: number): Problem | null => {
    if (nesting > maxValueNesting) return { field, problem: 'is nested too deeply' };
    if (typeof value === 'string') {
      const problem = stringInputProblem(value, limits) ?? scalarProblem(type, (scalar) => scalar.parseValue(value));
      return problem ? { field, problem } : null;
    }
    if (typeof value === 'number') return Number.isFinite(value) ? null : { field, problem: 'must be a finite number' };
    if (Array.isArray(value)) {
      const nullable = type && getNullableType(type);
      const itemType = nullable && isListType(nullable) ? (nullable.ofType as GraphQLInputType) : type;
      for (const [index, item] of value.entries()) {
        const found = check(item, itemType, `${field}.${index}`, nesting + 1);
        if (found) return found;
      }
      return null;
    }
    if (value && typeof value === 'object') {
      const named = type && getNamedType(type);
      const fields = named && isInputObjectType(named) ? named.getFields() : undefined;
      for (const [key, item] of Object.entries(value)) {
        const found = check(item, fields?.[key]?.type, `${field}.${key}`, nesting + 1);
        if (found) return found;
      }
    }
    return null;
  };
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (!variables || !(name in variables)) continue;
    const type = typeFromAST(schema, definition.type as never) as GraphQLInputType | undefined;
    const found = check(variables[name], type, name, 0);
    if (found) return refused(found.field, found.problem);
  }
  return null;
}

/** Apollo Server plugin running {@link inputIntegrityError} on every operation once it is resolved, before it executes. */
export function inputIntegrityPlugin<TContext extends object>(limits: InputLimits): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const error = inputIntegrityError(schema, document, operation, request.variables, limits);
          // A request error: without a status Apollo Server would answer 500.
          if (error) throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 400 } } });
        },
      };
    },
  };
}
