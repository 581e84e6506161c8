// Once per jest run: a migrated template database and a run id. Each test file then clones the template
// into a database of its own (see testEnv.ts), so files never see each other's rows.
import { ensureDatabase, applyMigrations } from '../../src/db/migrationRunner';

export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}_${process.pid}`;
  const base = new URL(process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
  base.pathname = `/freshrec_test_${runId}`;
  const databaseUrl = base.toString();
  await ensureDatabase(databaseUrl);
  await applyMigrations(databaseUrl);
  process.env.DATABASE_URL = databaseUrl;
  process.env.FRESHREC_TEST_RUN = runId;
  process.env.REDIS_PREFIX = `freshrec_test_${runId}`;
  process.env.NODE_ENV = 'test';
}
