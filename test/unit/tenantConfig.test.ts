// Where a tenant's data lives is derived from the control configuration: distinct per tenant, never the control
// database or prefix, and only for ids that are safe inside a database name and a Redis key.
import { loadConfig } from '../../src/config';
import { tenantConfig, tenantDatabaseUrl, tenantRedisPrefix } from '../../src/app/tenantConfig';
import { checkTenantId, isTenantId } from '../../src/domain/tenants/tenantId';

const control = loadConfig({ DATABASE_URL: 'postgresql://postgres@db.example:5432/shop', REDIS_PREFIX: 'fr', TENANT_DB_POOL_SIZE: '2', TENANT_SEARCH_POOL_SIZE: '1', TENANT_EVENT_POOL_SIZE: '3' });

describe('tenant configuration', () => {
  it('gives each tenant its own database, Redis prefix and small pools, on the same servers', () => {
    const a = tenantConfig(control, 'shop-a');
    const b = tenantConfig(control, 'shop-b');
    expect(new URL(a.databaseUrl).pathname).toBe('/shop_t_shop-a');
    expect(new URL(a.databaseUrl).host).toBe('db.example:5432');
    expect(a.redisPrefix).toBe('fr:t:shop-a');
    expect(new Set([control.databaseUrl, a.databaseUrl, b.databaseUrl]).size).toBe(3);
    expect(new Set([control.redisPrefix, a.redisPrefix, b.redisPrefix]).size).toBe(3);
    expect([a.dbPoolSize, a.searchPoolSize, a.eventPoolSize, a.sampleData]).toEqual([2, 1, 3, false]);
  });

  it('keeps the control configuration for the default tenant', () => {
    expect(tenantConfig(control, 'default')).toBe(control);
  });

  it.each(['', 'a', 'A1', 'shop_a', '-shop', 'shop-', 'x'.repeat(21), '../x', 'shop a', 'shop:a', 'ünï'])('refuses the id %p', (id) => {
    expect(isTenantId(id)).toBe(false);
    expect(() => checkTenantId(id)).toThrow(/tenant id/);
    expect(() => tenantRedisPrefix('fr', id)).toThrow();
  });

  it.each(['ab', 'shop-b', 'a1', 'x'.repeat(20)])('accepts the id %p', (id) => {
    expect(checkTenantId(id)).toBe(id);
  });

  it('refuses a database name Postgres would truncate (two tenants could then share one)', () => {
    const long = `postgresql://postgres@db.example:5432/${'d'.repeat(45)}`;
    expect(() => tenantDatabaseUrl(long, 'x'.repeat(20))).toThrow(/longer than 63 bytes/);
    expect(() => tenantDatabaseUrl(long, 'ab')).not.toThrow();
  });
});
