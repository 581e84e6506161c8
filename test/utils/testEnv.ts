// Per test file: a database cloned from the run's migrated template and a Redis prefix of its own, plus the
// environment a child process needs to join them.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { loadConfig, type Config } from '../../src/config';

export interface TestEnv {
  databaseUrl: string;
  redisPrefix: string;
  env: Record<string, string>;
  config: Readonly<Config>;
  adminKey: string;
  clientKey: string;
  drop(): Promise<void>;
}

export async function createTestEnv(overrides: Record<string, string> = {}): Promise<TestEnv> {
  const template = new URL(process.env.DATABASE_URL as string);
  const templateName = template.pathname.slice(1);
  const suffix = randomBytes(4).toString('hex');
  const name = `${templateName}_${suffix}`;
  const adminUrl = new URL(template);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${templateName}"`);
  await admin.end();
  const dbUrl = new URL(template);
  dbUrl.pathname = `/${name}`;
  const adminKey = `admin-${randomBytes(12).toString('hex')}`;
  const clientKey = `client-${randomBytes(12).toString('hex')}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `${process.env.REDIS_PREFIX}-${suffix}`,
    ADMIN_API_KEY: adminKey,
    CLIENT_API_KEY: clientKey,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ...overrides,
  };
  return {
    databaseUrl: env.DATABASE_URL,
    redisPrefix: env.REDIS_PREFIX,
    env,
    config: loadConfig(env),
    adminKey,
    clientKey,
    async drop() {
      const c = new Client({ connectionString: adminUrl.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
