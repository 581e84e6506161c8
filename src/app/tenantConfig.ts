// Where a tenant's data lives: derived from the control configuration, so every process computes the same
// database and Redis prefix for a tenant without asking anyone, and no two tenants can share either.
import type { Config } from '../config';
import { applyMigrations, ensureDatabase } from '../db/migrationRunner';
import { DEFAULT_TENANT, checkTenantId } from '../domain/tenants/tenantId';

const PG_NAME_BYTES = 63;

/** `<control database>_t_<id>` on the same server. */
export function tenantDatabaseUrl(controlUrl: string, tenantId: string): string {
  const url = new URL(controlUrl);
  const control = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const name = `${control}_t_${checkTenantId(tenantId)}`;
  // Postgres would silently truncate a longer name, and two tenants could then share a database.
  if (Buffer.byteLength(name) > PG_NAME_BYTES) throw new Error(`tenant database name "${name}" is longer than ${PG_NAME_BYTES} bytes; use a shorter tenant id`);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/**
 * `<prefix>:t:<id>`: the control prefix's own keys are `<prefix>:<kind>:…` with fixed kinds, none of which is `t`, so a
 * tenant's keys, queues and channels can never meet the default tenant's or another tenant's.
 */
export function tenantRedisPrefix(controlPrefix: string, tenantId: string): string {
  return `${controlPrefix}:t:${checkTenantId(tenantId)}`;
}

/** The configuration a tenant's Services run on: the control one with its own database, prefix and smaller pools. */
export function tenantConfig(control: Readonly<Config>, tenantId: string): Readonly<Config> {
  if (tenantId === DEFAULT_TENANT) return control;
  return Object.freeze({
    ...control,
    databaseUrl: tenantDatabaseUrl(control.databaseUrl, tenantId),
    redisPrefix: tenantRedisPrefix(control.redisPrefix, tenantId),
    dbPoolSize: control.tenantDbPoolSize,
    searchPoolSize: control.tenantSearchPoolSize,
    eventPoolSize: control.tenantEventPoolSize,
    // Sample data is the quick start's demo shop: only ever loaded into the default tenant.
    sampleData: false,
  });
}

/** Creates (when missing) and migrates a tenant's database with the same migrations as the control one; idempotent. */
export async function provisionTenantDatabase(controlUrl: string, tenantId: string): Promise<void> {
  const url = tenantDatabaseUrl(controlUrl, tenantId);
  await ensureDatabase(url);
  await applyMigrations(url);
}
