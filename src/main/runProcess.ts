// Shared life cycle of every entry point: load config, prepare infrastructure, build services, start the
// roles, and on SIGTERM/SIGINT stop them in order within a bounded time.
import { loadConfig, ConfigError } from '../config';
import { createLogger } from '../logger';
import { createServices, type Services } from '../app/services';
import { prepareInfrastructure, ServiceDownError } from '../app/bootstrap';
import type { RunningRole } from '../app/processRoles';
import { TenantDirectory } from '../app/tenantDirectory';

const SHUTDOWN_TIMEOUT_MS = 15_000;

export async function runProcess(name: string, start: (services: Services, tenants: TenantDirectory) => Promise<RunningRole[]>): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.logLevel, `freshrec-${name}`);
  try {
    await prepareInfrastructure(config, log);
  } catch (err) {
    if (err instanceof ServiceDownError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const services = await createServices(config, log);
  // One set of Services per tenant per process, shared by the roles it plays.
  const tenants = new TenantDirectory(services);
  const roles = await start(services, tenants);
  if (config.keysGenerated) {
    console.log(`\nDevelopment API keys (set ADMIN_API_KEY / CLIENT_API_KEY to choose your own):\n  admin:  ${config.adminApiKey}\n  client: ${config.clientApiKey}\n`);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    (async () => {
      for (const role of roles) await role.stop();
      await tenants.close();
      await services.close();
      process.exit(0);
    })().catch((err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
