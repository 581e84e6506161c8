// Runs the worker role for every active further tenant of the deployment and follows the registry: a tenant created
// later gets its workers within moments (pub/sub) or at the next periodic check (a missed message), a disabled one
// has them stopped and its Services closed.
import type { Logger } from '../logger';
import type { TenantDirectory } from './tenantDirectory';
import type { Services } from './services';
import { DEFAULT_TENANT } from '../domain/tenants/tenantId';

export interface StoppableRole {
  stop(): Promise<void>;
}

// How often the registry is re-read even without a message: bounds how late a tenant's jobs start if one is missed.
const CHECK_MS = 30_000;

export class TenantWorkers {
  private readonly running = new Map<string, StoppableRole>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private pass: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly directory: TenantDirectory,
    private readonly startRole: (services: Services) => Promise<StoppableRole>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.directory.control.tenants.onChange(() => void this.reconcile());
    this.timer = setInterval(() => void this.reconcile(), CHECK_MS);
    this.timer.unref();
    await this.reconcile();
  }

  /** Tenants whose workers run in this process. */
  tenants(): string[] {
    return [...this.running.keys()];
  }

  /** One pass at a time, so a burst of messages cannot start a tenant's workers twice. */
  reconcile(): Promise<void> {
    this.pass = this.pass.then(() => this.reconcileOnce()).catch((err) => this.log.warn({ err }, 'tenant workers: reconcile failed'));
    return this.pass;
  }

  private async reconcileOnce(): Promise<void> {
    if (this.stopped) return;
    const active = new Set((await this.directory.control.tenants.list()).filter((t) => !t.disabledAt && t.id !== DEFAULT_TENANT).map((t) => t.id));
    for (const id of active) {
      if (this.running.has(id)) continue;
      try {
        const services = await this.directory.forTenant(id);
        this.running.set(id, await this.startRole(services));
        this.log.info({ tenant: id }, 'tenant workers started');
      } catch (err) {
        // One broken tenant (its database unreachable) must not keep the others' jobs from running.
        this.log.error({ err, tenant: id }, 'tenant workers failed to start; retried at the next check');
      }
    }
    for (const [id, role] of [...this.running]) {
      if (active.has(id)) continue;
      this.running.delete(id);
      await role.stop();
      await this.directory.evict(id);
      this.log.info({ tenant: id }, 'tenant workers stopped (tenant disabled)');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.unsubscribe?.();
    await this.pass;
    await Promise.all([...this.running.values()].map((r) => r.stop()));
    this.running.clear();
  }
}
