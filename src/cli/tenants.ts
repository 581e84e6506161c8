// `npm run tenants -- create <id>` (prints the new tenant's first admin key), `npm run tenants -- list`,
// `npm run tenants -- disable <id>`, `npm run tenants -- enable <id>`: tenant administration from the shell.
import { loadConfig } from '../config';
import { createPrismaClient } from '../db/prismaClient';
import { applyMigrations, ensureDatabase } from '../db/migrationRunner';
import { createRedis, KeySpace } from '../redis/redisConnections';
import { RedisPubSub } from '../pubsub/redisPubSub';
import { TenantRegistry } from '../domain/tenants/tenantRegistry';
import { provisionTenantDatabase } from '../app/tenantConfig';

const USAGE = 'usage: npm run tenants -- create <id> | list | disable <id> | enable <id>';

async function main(): Promise<number> {
  const [command, id] = process.argv.slice(2);
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  await applyMigrations(config.databaseUrl);
  const db = createPrismaClient(config.databaseUrl, 2);
  const redis = createRedis(config.redisUrl, 'freshrec:tenants-cli');
  // Running workers learn of a change over the control plane's pub/sub; the subscriber side is unused here.
  const registry = new TenantRegistry(db, new RedisPubSub(redis, redis, new KeySpace(config.redisPrefix)), (tenantId) =>
    provisionTenantDatabase(config.databaseUrl, tenantId),
  );
  try {
    if (command === 'create' && id) {
      const { tenant, adminKey } = await registry.create(id);
      console.log(`tenant:    ${tenant.id}\nadmin key: ${adminKey.key}\nkey id:    ${adminKey.id}\n(the key is shown once; only its hash is stored)`);
    } else if (command === 'list') {
      console.table((await registry.list()).map((t) => ({ id: t.id, created: t.createdAt.toISOString(), disabled: t.disabledAt?.toISOString() ?? '' })));
    } else if ((command === 'disable' || command === 'enable') && id) {
      const tenant = await registry.setDisabled(id, command === 'disable');
      console.log(`${tenant.id}: ${tenant.disabledAt ? `disabled since ${tenant.disabledAt.toISOString()}` : 'enabled'}`);
    } else {
      console.error(USAGE);
      return 2;
    }
    return 0;
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  } finally {
    await db.$disconnect();
    redis.disconnect();
  }
}

main().then((code) => process.exit(code));
