// Starts the real system in the test process: services, API on a random port, and the queue workers.
import { createServices, type Services } from '../../src/app/services';
import { createLogger } from '../../src/logger';
import { startApiRole, startWorkerRole, type RunningRole } from '../../src/app/processRoles';
import type { TestEnv } from './testEnv';

export interface TestSystem {
  services: Services;
  url: string;
  stop(): Promise<void>;
}

export async function startTestSystem(env: TestEnv, opts: { worker?: boolean; api?: boolean } = {}): Promise<TestSystem> {
  const services = await createServices(env.config, createLogger(env.config.logLevel));
  const roles: RunningRole[] = [];
  let url = '';
  if (opts.api !== false) {
    const api = await startApiRole(services, 0);
    url = api.server.url;
    roles.push(api);
  }
  if (opts.worker !== false) roles.push(await startWorkerRole(services));
  return {
    services,
    url,
    async stop() {
      for (const r of roles) await r.stop();
      await services.close();
    },
  };
}
