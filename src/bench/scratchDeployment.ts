// A throwaway deployment for one benchmark run: its own migrated database on the local Postgres, its own
// Redis prefix, the environment its child processes start with, and the clean-up that removes all of it.
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';
import { deleteKeysWithPrefix } from '../redis/redisConnections';
import { loadConfig, type Config } from '../config';
import { applyMigrations, ensureDatabase } from '../db/migrationRunner';

export interface ScratchDeployment {
  databaseName: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  adminKey: string;
  clientKey: string;
  /** Environment of the API and worker processes (config.ts reads it there). */
  env: Record<string, string>;
  /** The same settings parsed, for the parts of the benchmark that run in this process. */
  config: Readonly<Config>;
  drop(): Promise<void>;
}

export interface ScratchOptions {
  models: string[];
  /** Extra settings for the child processes (e.g. WORKER_NICE). */
  extraEnv?: Record<string, string>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createScratchDeployment(opts: ScratchOptions): Promise<ScratchDeployment> {
  const base = loadConfig();
  const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const databaseName = `freshrec_bench_${suffix}`;
  const databaseUrl = withDatabase(base.databaseUrl, databaseName);
  await ensureDatabase(databaseUrl);
  await applyMigrations(databaseUrl);
  const adminKey = `bench-admin-${randomBytes(12).toString('hex')}`;
  const clientKey = `bench-client-${randomBytes(12).toString('hex')}`;
  const env: Record<string, string> = {
    // Production mode: what a deployment runs (no introspection, no landing page, keys required).
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: base.redisUrl,
    REDIS_PREFIX: `freshrec-bench-${suffix.replace(/_/g, '-')}`,
    ADMIN_API_KEY: adminKey,
    CLIENT_API_KEY: clientKey,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SAMPLE_DATA: 'off',
    DEFAULT_MODELS: opts.models.join(','),
    // The benchmark measures capacity, so the per-key request budget (a protection, one Redis call per
    // request) is off; docs/scaling.md counts its cost separately.
    RATE_LIMIT_PER_SECOND: '0',
    ...opts.extraEnv,
  };
  const config = loadConfig(env);
  return {
    databaseName,
    databaseUrl,
    redisUrl: base.redisUrl,
    redisPrefix: env.REDIS_PREFIX,
    adminKey,
    clientKey,
    env,
    config,
    async drop() {
      const admin = new Client({ connectionString: withDatabase(base.databaseUrl, 'postgres') });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
      const redis = new Redis(base.redisUrl, { maxRetriesPerRequest: 2 });
      try {
        await deleteKeysWithPrefix(redis, env.REDIS_PREFIX);
      } finally {
        redis.disconnect();
      }
    },
  };
}
