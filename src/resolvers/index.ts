// The executable schema: schema.graphql (the single source of the API) plus every resolver map.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { scalarResolvers } from './scalars';
import { queryResolvers } from './queryResolvers';
import { mutationResolvers } from './mutationResolvers';
import { subscriptionResolvers } from './subscriptionResolvers';
import { typeResolvers } from './typeResolvers';
import { apiKeyMutations, apiKeyQueries } from './apiKeyResolvers';
import { adminMutationResolvers, adminQueryResolvers, adminSubscriptionResolvers, adminTypeResolvers } from './adminResolvers';
import { metricsQueryResolvers, metricsSubscriptionResolvers, metricsTypeResolvers } from './metricsResolvers';
import { experimentMutationResolvers, experimentQueryResolvers, experimentTypeResolvers } from './experimentResolvers';
import { recommendationQueryResolvers } from './recommendationResolvers';
import { searchQueryResolvers } from './searchResolvers';
import { rulesMutationResolvers, rulesQueryResolvers } from './rulesResolvers';
import { bundleQueryResolvers } from './bundleResolvers';
import { tenantMutations, tenantQueries } from './tenantResolvers';

export const SCHEMA_PATH = path.resolve(__dirname, '../../schema.graphql');

export const resolvers = {
  ...scalarResolvers,
  ...typeResolvers,
  ...adminTypeResolvers,
  ...metricsTypeResolvers,
  ...experimentTypeResolvers,
  Query: {
    ...queryResolvers,
    ...adminQueryResolvers,
    ...apiKeyQueries,
    ...metricsQueryResolvers,
    ...experimentQueryResolvers,
    ...recommendationQueryResolvers,
    ...searchQueryResolvers,
    ...rulesQueryResolvers,
    ...bundleQueryResolvers,
    ...tenantQueries,
  },
  Mutation: { ...mutationResolvers, ...adminMutationResolvers, ...apiKeyMutations, ...experimentMutationResolvers, ...rulesMutationResolvers, ...tenantMutations },
  Subscription: { ...subscriptionResolvers, ...adminSubscriptionResolvers, ...metricsSubscriptionResolvers },
};

export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: readFileSync(SCHEMA_PATH, 'utf8'),
    resolvers,
    // A resolver for a field the schema lacks is a bug: fail at start, not at query time.
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
