import { GraphQLError, GraphQLScalarType, type ValueNode } from 'graphql';
import { DateTimeISOResolver, LocalDateResolver } from 'graphql-scalars';
import { ErrorCode } from './errors';

/**
 * `scalar` whose refusals of an input are BAD_USER_INPUT (graphql-scalars throws uncoded errors,
 * which would surface as a validation failure or an internal error depending on the route).
 */
function refusingAsBadUserInput(scalar: GraphQLScalarType): GraphQLScalarType {
  const config = scalar.toConfig();
  const refused = (error: unknown) =>
    new GraphQLError(error instanceof Error ? error.message : `Invalid ${scalar.name}`, { extensions: { code: ErrorCode.BadUserInput } });
  return new GraphQLScalarType({
    ...config,
    parseValue: (value: unknown) => {
      try {
        return config.parseValue!(value);
      } catch (error) {
        throw refused(error);
      }
    },
    parseLiteral: (node: ValueNode, variables?: Record<string, unknown> | null) => {
      try {
        return config.parseLiteral!(node, variables);
      } catch (error) {
        throw refused(error);
      }
    },
  });
}

/** `DateTime` (ISO-8601 with zone) and `Date` (YYYY-MM-DD, a real calendar day), as the contract defines them. */
export const scalarResolvers = {
  DateTime: refusingAsBadUserInput(DateTimeISOResolver),
  Date: refusingAsBadUserInput(LocalDateResolver),
};
