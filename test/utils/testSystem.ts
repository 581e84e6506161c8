// Starts the real system in the test process: services, API on a random port, and the queue workers.
import { createServices, type Services } from '../../src/app/services';
import { createLogger } from '../../src/logger';
import { startApiRole, startWorkerRole, type RunningRole } from '../../src/app/processRoles';
import { TenantDirectory } from '../../src/app/tenantDirectory';
import type { TestEnv } from './testEnv';

export interface TestSystem {
  services: Services;
  /** The Services of every further tenant this system opened (see tenancy.test.ts). */
  tenants: TenantDirectory;
  url: string;
  stop(): Promise<void>;
}

export async function startTestSystem(env: TestEnv, opts: { worker?: boolean; api?: boolean } = {}): Promise<TestSystem> {
  const services = await createServices(env.config, createLogger(env.config.logLevel));
  const tenants = new TenantDirectory(services);
  const roles: RunningRole[] = [];
  let url = '';
  if (opts.api !== false) {
    const api = await startApiRole(services, 0, tenants);
    url = api.server.url;
    roles.push(api);
  }
  if (opts.worker !== false) roles.push(await startWorkerRole(services, tenants));
  return {
    services,
    tenants,
    url,
    async stop() {
      for (const r of roles) await r.stop();
      await tenants.close();
      await services.close();
    },
  };
}
