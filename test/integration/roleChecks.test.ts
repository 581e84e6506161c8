// Every Query and Mutation field checks its caller: without a key it answers UNAUTHENTICATED, and every field
// that schema.graphql documents as "Admin keys only" answers FORBIDDEN to a client key. The fields are read
// from the schema, so a new field is covered the day it is added.
import { readFileSync } from 'node:fs';
import {
  buildSchema,
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { SCHEMA_PATH } from '../../src/resolvers';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { gql } from '../utils/graphqlClient';

const schema = buildSchema(readFileSync(SCHEMA_PATH, 'utf8'));
const SCALARS: Record<string, unknown> = { ID: 'role-check', String: 'role-check', Int: 1, Float: 1, Boolean: true, JSON: {}, DateTime: new Date().toISOString() };

/** A value the type accepts: required input fields filled in, optional ones left out. */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isInputObjectType(type)) {
    const required = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return Object.fromEntries(required.map((f) => [f.name, sample(f.type)]));
  }
  if (isScalarType(type)) return SCALARS[type.name] ?? 'role-check';
  throw new Error(`no sample for ${String(type)}`);
}

function operation(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>) {
  const args = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  const vars = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  const selection = isCompositeType(getNamedType(field.type)) ? ' { __typename }' : '';
  return {
    query: `${kind}${vars ? ` (${vars})` : ''} { ${field.name}${call}${selection} }`,
    variables: Object.fromEntries(args.map((a) => [a.name, sample(a.type)])),
  };
}

const roots = { query: schema.getQueryType(), mutation: schema.getMutationType() } as Record<'query' | 'mutation', GraphQLObjectType>;
const fields = (['query', 'mutation'] as const).flatMap((kind) => Object.values(roots[kind].getFields()).map((field) => ({ kind, field })));
const adminOnly = fields.filter(({ field }) => field.description?.includes('Admin keys only'));

describe('role checks on every field', () => {
  let env: TestEnv;
  let sys: TestSystem;

  beforeAll(async () => {
    env = await createTestEnv({ RATE_LIMIT_PER_SECOND: '0' });
    sys = await startTestSystem(env, { worker: false });
  });

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('documents some fields as admin-only', () => {
    expect(adminOnly.length).toBeGreaterThan(10);
  });

  it.each(fields.map(({ kind, field }) => [`${kind} ${field.name}`, kind, field] as const))('%s without a key → UNAUTHENTICATED', async (_name, kind, field) => {
    const op = operation(kind, field);
    const res = await gql(sys.url, null, op.query, op.variables);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it.each(adminOnly.map(({ kind, field }) => [`${kind} ${field.name}`, kind, field] as const))('%s with a client key → FORBIDDEN', async (_name, kind, field) => {
    const op = operation(kind, field);
    const res = await gql(sys.url, env.clientKey, op.query, op.variables);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
