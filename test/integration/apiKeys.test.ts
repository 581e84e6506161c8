// API keys issued at run time: created by admins (API or CLI), usable at once, revoked everywhere, never
// stored in clear.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { gql, gqlOk } from '../utils/graphqlClient';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

describe('API keys', () => {
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

  it('issues a client key that works at once, stores only its hash, and stops working when revoked', async () => {
    const created = await gqlOk(sys.url, env.adminKey, `mutation { createApiKey(role: client, name: "shop web") { id key role } }`);
    const { id, key } = created.createApiKey;
    expect(created.createApiKey.role).toBe('client');
    const stored = await sys.services.db.apiKey.findUnique({ where: { id } });
    expect(JSON.stringify(stored)).not.toContain(key);
    expect((await gql(sys.url, key, `{ trending(limit: 1) { recommId } }`)).errors).toBeUndefined();
    // A client key cannot administer keys or the catalogue.
    expect((await gql(sys.url, key, `mutation { createApiKey(role: admin, name: "x") { key } }`)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await gql(sys.url, key, `{ apiKeys { id } }`)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    await gqlOk(sys.url, env.adminKey, `mutation { revokeApiKey(id: "${id}") }`);
    expect((await gql(sys.url, key, `{ trending(limit: 1) { recommId } }`)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const listed = await gqlOk(sys.url, env.adminKey, `{ apiKeys { id revokedAt } }`);
    expect(listed.apiKeys.find((k: { id: string }) => k.id === id).revokedAt).toBeTruthy();
    expect((await gql(sys.url, env.adminKey, `mutation { revokeApiKey(id: "nope") }`)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('issues an admin key from the CLI', async () => {
    const { stdout } = await run(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'src/cli/apiKeys.ts'), 'create', '--role', 'admin', '--name', 'ops'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env.env },
    });
    const key = /key:\s+(\S+)/.exec(stdout)?.[1] as string;
    expect(key).toMatch(/^fr_admin_/);
    const res = await gql(sys.url, key, `mutation { upsertItems(items: [{ id: "cli-item", title: "From an issued admin key" }]) }`);
    expect(res.errors).toBeUndefined();
  });
});
