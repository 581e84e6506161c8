// The Services of every tenant a process serves: the default tenant's are given (they are the control plane),
// a further tenant's are created on first use from its derived configuration, cached, and closed on shutdown.
import type { Services } from './services';
import { createServices } from './services';
import { provisionTenantDatabase, tenantConfig } from './tenantConfig';
import { DEFAULT_TENANT } from '../domain/tenants/tenantId';
import { UnauthenticatedError } from '../errors';

export class TenantDirectory {
  private readonly open = new Map<string, Promise<Services>>();

  constructor(readonly control: Services) {}

  /** The tenant's Services; UNAUTHENTICATED for an unknown or disabled tenant. */
  async forTenant(tenantId: string): Promise<Services> {
    if (tenantId === DEFAULT_TENANT) return this.control;
    let pending = this.open.get(tenantId);
    if (!pending) {
      if (!(await this.control.tenants.isActive(tenantId))) throw new UnauthenticatedError(`Tenant "${tenantId}" is unknown or disabled`);
      // Re-read: another caller may have started creating it while the check above awaited.
      pending = this.open.get(tenantId);
      if (!pending) {
        const log = this.control.log.child({ tenant: tenantId });
        // Like the control database at process start, a tenant's is brought up to the current migrations before
        // first use, so a release that adds a migration upgrades every tenant without an extra step.
        pending = provisionTenantDatabase(this.control.config.databaseUrl, tenantId).then(() =>
          createServices(tenantConfig(this.control.config, tenantId), log, { tenantId, control: this.control }),
        );
        this.open.set(tenantId, pending);
        // A failed start (database unreachable) is retried by the next request rather than cached.
        pending.catch(() => this.open.delete(tenantId));
      }
    }
    return pending;
  }

  /** Ids of the further tenants whose Services this process holds. */
  openTenants(): string[] {
    return [...this.open.keys()];
  }

  /** Closes one tenant's Services (it was disabled); the next request for it would reopen them. */
  async evict(tenantId: string): Promise<void> {
    const pending = this.open.get(tenantId);
    if (!pending) return;
    this.open.delete(tenantId);
    await (await pending.catch(() => null))?.close();
  }

  /** Closes every further tenant's Services; the control Services belong to whoever created them. */
  async close(): Promise<void> {
    await Promise.all(this.openTenants().map((id) => this.evict(id)));
  }
}
