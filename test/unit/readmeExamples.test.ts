// The README's copy-paste examples stay true: every GraphQL document it shows (in curl bodies and graphql
// blocks) validates against schema.graphql, so a renamed field breaks this test, not a newcomer's first try.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { SCHEMA_PATH } from '../../src/resolvers';

const schema = buildSchema(readFileSync(SCHEMA_PATH, 'utf8'));
const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

function documents(): string[] {
  // curl -d '{"query":"..."}' bodies: the JSON string is unescaped by JSON.parse.
  const fromCurl = [...readme.matchAll(/-d '(\{"query":.*?\})'/g)].map((m) => (JSON.parse(m[1]) as { query: string }).query);
  const fromBlocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
  // Inline subscriptions quoted in prose, e.g. `subscription { trainingProgress(jobId: "<id>") { ... } }`.
  const inline = [...readme.matchAll(/`((?:subscription|query|mutation)? ?\{ [^`]+\})`/g)].map((m) => m[1]);
  return [...fromCurl, ...fromBlocks, ...inline];
}

describe('README examples', () => {
  it('shows a query, a mutation and a subscription', () => {
    const kinds = documents().map((d) => (parse(d).definitions[0] as { operation: string }).operation);
    expect(kinds).toEqual(expect.arrayContaining(['query', 'mutation', 'subscription']));
  });

  it.each(documents().map((d) => [d.replace(/\s+/g, ' ').slice(0, 80), d]))('%s… validates against the schema', (_label, doc) => {
    expect(validate(schema, parse(doc)).map((e) => e.message)).toEqual([]);
  });
});
