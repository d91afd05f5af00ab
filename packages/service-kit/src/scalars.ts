import { DateTimeISOResolver, LocalDateResolver } from 'graphql-scalars';

/** `DateTime` (ISO-8601 with zone) and `Date` (YYYY-MM-DD), as the contract defines them. */
export const scalarResolvers = {
  DateTime: DateTimeISOResolver,
  Date: LocalDateResolver,
};
