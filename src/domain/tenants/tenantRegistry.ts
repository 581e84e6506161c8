// The tenant registry of a deployment, kept in the control database: which shops exist, creating one (its own
// database, migrated, and a first admin key) and disabling one. Every process caches "is this tenant active"
// briefly and drops the cache when any process announces a change over the control plane's pub/sub.
import type { Db } from '../../db/prismaClient';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import { InvalidInputError, NotFoundError } from '../../errors';
import { ApiKeyStore } from '../auth/apiKeyStore';
import { DEFAULT_TENANT, checkTenantId } from './tenantId';

export interface TenantRecord {
  id: string;
  createdAt: Date;
  disabledAt: Date | null;
}

// A disabled tenant's keys may keep working this long in a process that missed the pub/sub message.
const CACHE_MS = 30_000;

export class TenantRegistry {
  private readonly active = new Map<string, { value: boolean; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly pubsub: RedisPubSub | null,
    /** Creates (if missing) and migrates a tenant's database; idempotent. */
    private readonly provision: (tenantId: string) => Promise<void>,
  ) {}

  async start(): Promise<void> {
    await this.pubsub?.on('tenants:changed', () => this.active.clear());
  }

  /** Calls back on every change announced by any process; returns the unsubscribe function. */
  onChange(listener: (tenantId: string) => void): Promise<() => Promise<void>> {
    if (!this.pubsub) return Promise.resolve(async () => undefined);
    return this.pubsub.on('tenants:changed', ({ id }) => listener(id));
  }

  /** Every tenant, the default one first. */
  async list(): Promise<TenantRecord[]> {
    const rows = await this.db.tenant.findMany({ orderBy: { id: 'asc' } });
    // The default tenant has no row: it is as old as the control database, i.e. its first migration.
    const [born] = await this.db.$queryRaw<{ at: Date | null }[]>`SELECT min(started_at) AS at FROM "_prisma_migrations"`;
    return [{ id: DEFAULT_TENANT, createdAt: born?.at ?? new Date(0), disabledAt: null }, ...rows];
  }

  async isActive(tenantId: string): Promise<boolean> {
    if (tenantId === DEFAULT_TENANT) return true;
    const hit = this.active.get(tenantId);
    if (hit && hit.until > Date.now()) return hit.value;
    const row = await this.db.tenant.findUnique({ where: { id: tenantId } });
    const value = !!row && !row.disabledAt;
    if (this.active.size > 10_000) this.active.clear();
    this.active.set(tenantId, { value, until: Date.now() + CACHE_MS });
    return value;
  }

  /**
   * Creates a tenant: its database is created and migrated before the row exists, so no process ever sees a
   * tenant without its tables. Returns the tenant and a first admin key (shown once).
   */
  async create(id: string): Promise<{ tenant: TenantRecord; adminKey: Awaited<ReturnType<ApiKeyStore['create']>> }> {
    const tenantId = checkTenantId(id);
    if (tenantId === DEFAULT_TENANT || (await this.db.tenant.findUnique({ where: { id: tenantId } }))) {
      throw new InvalidInputError(`tenant "${tenantId}" already exists`, { field: 'id' });
    }
    await this.provision(tenantId);
    const tenant = await this.db.tenant.create({ data: { id: tenantId } }).catch((err: { code?: string }) => {
      // Two operators creating the same id at once: the database settles it.
      if (err.code === 'P2002') throw new InvalidInputError(`tenant "${tenantId}" already exists`, { field: 'id' });
      throw err;
    });
    const adminKey = await new ApiKeyStore(this.db, this.pubsub, tenantId).create('admin', 'first admin key');
    await this.announce(tenantId);
    return { tenant, adminKey };
  }

  /** Disables (or re-enables) a tenant: its keys stop authenticating and workers stop its jobs; its data is kept. */
  async setDisabled(id: string, disabled: boolean): Promise<TenantRecord> {
    const tenantId = checkTenantId(id);
    if (tenantId === DEFAULT_TENANT) throw new InvalidInputError('the default tenant cannot be disabled', { field: 'id' });
    const existing = await this.db.tenant.findUnique({ where: { id: tenantId } });
    if (!existing) throw new NotFoundError('tenant', tenantId);
    if (!!existing.disabledAt === disabled) return existing;
    const row = await this.db.tenant.update({ where: { id: tenantId }, data: { disabledAt: disabled ? new Date() : null } });
    await this.announce(tenantId);
    return row;
  }

  private async announce(tenantId: string): Promise<void> {
    this.active.delete(tenantId);
    await this.pubsub?.publish('tenants:changed', { id: tenantId });
  }
}
