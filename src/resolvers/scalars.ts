// Custom scalars: DateTime (ISO-8601) and JSON, from graphql-scalars.
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';

export const scalarResolvers = {
  DateTime: DateTimeResolver,
  JSON: JSONResolver,
};
