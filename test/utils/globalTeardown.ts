// Drops every database of the run (template and per-file clones) and every Redis key under its prefix.
import { Client } from 'pg';
import Redis from 'ioredis';
import { deleteKeysWithPrefix } from '../../src/redis/redisConnections';

export default async function globalTeardown(): Promise<void> {
  const runId = process.env.FRESHREC_TEST_RUN;
  if (!runId) return;
  const url = new URL(process.env.DATABASE_URL as string);
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  const dbs = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`freshrec_test_${runId}%`]);
  for (const { datname } of dbs.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.end();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  await deleteKeysWithPrefix(redis, `freshrec_test_${runId}`);
  redis.disconnect();
}
