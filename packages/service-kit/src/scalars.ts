import { GraphQLError, GraphQLScalarType, type ValueNode } from 'graphql';
import { DateTimeISOResolver, LocalDateResolver } from 'graphql-scalars';
import { ErrorCode } from './errors';

/**
 * The span every `Date` and `DateTime` input must fall in (inclusive; a `DateTime` by its UTC
 * instant). Wider than any birth date, training or meal log needs; narrow enough that every value
 * has a four-digit year, which each layer (JavaScript, PostgreSQL, JSON clients) reads the same way.
 */
export const dateInputRange = {
  firstDay: '1900-01-01',
  lastDay: '2100-12-31',
  earliest: new Date('1900-01-01T00:00:00.000Z'),
  latest: new Date('2100-12-31T23:59:59.999Z'),
} as const;

/** The refusal of a value outside {@link dateInputRange}. */
export const outOfDateRange = `must be between ${dateInputRange.firstDay} and ${dateInputRange.lastDay}`;

/** Why a parsed `Date`/`DateTime` value lies outside {@link dateInputRange}, or null. */
function outOfRange(scalar: string, parsed: unknown): string | null {
  const inRange =
    parsed instanceof Date
      ? parsed.getTime() >= dateInputRange.earliest.getTime() && parsed.getTime() <= dateInputRange.latest.getTime()
      : typeof parsed === 'string'
        ? parsed >= dateInputRange.firstDay && parsed <= dateInputRange.lastDay
        : true;
  return inRange ? null : `${scalar} ${outOfDateRange}`;
}

/**
 * `scalar` whose refusals of an input are BAD_USER_INPUT (graphql-scalars throws uncoded errors,
 * which would surface as a validation failure or an internal error depending on the route), and
 * which also refuses values outside {@link dateInputRange}.
 */
function checkedDateScalar(scalar: GraphQLScalarType): GraphQLScalarType {
  const config = scalar.toConfig();
  const refused = (error: unknown) =>
    new GraphQLError(error instanceof Error ? error.message : `Invalid ${scalar.name}`, { extensions: { code: ErrorCode.BadUserInput } });
  const inRange = (parsed: unknown) => {
    const problem = outOfRange(scalar.name, parsed);
    if (problem) throw new Error(problem);
    return parsed;
  };
  return new GraphQLScalarType({
    ...config,
    parseValue: (value: unknown) => {
      try {
        return inRange(config.parseValue!(value));
      } catch (error) {
        throw refused(error);
      }
    },
    parseLiteral: (node: ValueNode, variables?: Record<string, unknown> | null) => {
      try {
        return inRange(config.parseLiteral!(node, variables));
      } catch (error) {
        throw refused(error);
      }
    },
  });
}

/**
 * `DateTime` (ISO-8601 with zone, millisecond precision) and `Date` (YYYY-MM-DD, a real calendar
 * day), as the contract defines them, within {@link dateInputRange}.
 */
export const scalarResolvers = {
  DateTime: checkedDateScalar(DateTimeISOResolver),
  Date: checkedDateScalar(LocalDateResolver),
};
