// schema.graphql is the API's single source: every root field it declares has a resolver, and the API
// contract names outside clients rely on are present.
import { readFileSync } from 'node:fs';
import { buildSchema as parseSdl, type GraphQLObjectType } from 'graphql';
import { SCHEMA_PATH, resolvers } from '../../src/resolvers';

const sdl = parseSdl(readFileSync(SCHEMA_PATH, 'utf8'));

describe('schema.graphql and the resolvers', () => {
  it.each(['Query', 'Mutation', 'Subscription'] as const)('every %s field has a resolver', (root) => {
    const type = sdl.getType(root) as GraphQLObjectType;
    const map = resolvers[root] as Record<string, unknown>;
    const missing = Object.keys(type.getFields()).filter((f) => !(f in map));
    expect(missing).toEqual([]);
  });

  it('keeps the contract names of the foundation', () => {
    const fields = (name: string) => Object.keys((sdl.getType(name) as GraphQLObjectType).getFields());
    expect(fields('Query')).toEqual(expect.arrayContaining(['recommendations', 'similarItems', 'trending', 'item', 'user']));
    expect(fields('Mutation')).toEqual(expect.arrayContaining(['upsertItems', 'trackEvent', 'trackEvents', 'deleteUser']));
    expect(fields('Subscription')).toEqual(expect.arrayContaining(['recommendationsUpdated']));
    expect(fields('RecommendationList')).toEqual(expect.arrayContaining(['recommId', 'userId', 'items', 'modelVersion', 'generatedAt']));
    expect(fields('ScoredItem')).toEqual(expect.arrayContaining(['item', 'score', 'reasons']));
    expect(fields('User')).toEqual(expect.arrayContaining(['id', 'eventCount', 'events']));
  });
});
