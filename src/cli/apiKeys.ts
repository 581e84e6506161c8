// `npm run keys -- create --role client [--name shop-frontend]`, `npm run keys -- list`,
// `npm run keys -- revoke <id>`: API key administration from the shell; `--tenant <id>` administers another
// tenant's keys (default: the default tenant).
import { loadConfig } from '../config';
import { createPrismaClient } from '../db/prismaClient';
import { applyMigrations, ensureDatabase } from '../db/migrationRunner';
import { createRedis, KeySpace } from '../redis/redisConnections';
import { RedisPubSub } from '../pubsub/redisPubSub';
import { ApiKeyStore } from '../domain/auth/apiKeyStore';
import type { Role } from '../config';
import { DEFAULT_TENANT, checkTenantId } from '../domain/tenants/tenantId';

const USAGE = 'usage: npm run keys -- [--tenant <id>] create --role client|admin [--name <label>] | list | revoke <id>';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const tenant = flag('tenant');
  // The tenant flag may stand anywhere; what remains is the command and its operands.
  const [command, ...rest] = tenant === undefined ? args : args.filter((_, i) => i !== args.indexOf('--tenant') && i !== args.indexOf('--tenant') + 1);
  const config = loadConfig();
  await ensureDatabase(config.databaseUrl);
  await applyMigrations(config.databaseUrl);
  const db = createPrismaClient(config.databaseUrl, 2);
  const redis = createRedis(config.redisUrl, 'freshrec:keys-cli');
  const keys = new KeySpace(config.redisPrefix);
  // Revocations reach running servers over pub/sub; the subscriber side is unused here.
  const store = new ApiKeyStore(db, new RedisPubSub(redis, redis, keys), tenant === undefined ? DEFAULT_TENANT : checkTenantId(tenant, 'tenant'));
  try {
    if (store.tenantId !== DEFAULT_TENANT && !(await db.tenant.findUnique({ where: { id: store.tenantId } }))) {
      throw new Error(`tenant "${store.tenantId}" does not exist (npm run tenants -- list)`);
    }
    if (command === 'create') {
      const role = flag('role') as Role;
      const created = await store.create(role, flag('name') ?? `${role} key`);
      console.log(`id:   ${created.id}\nrole: ${created.role}\nkey:  ${created.key}\n(the key is shown once; only its hash is stored)`);
    } else if (command === 'list') {
      console.table((await store.list()).map((k) => ({ id: k.id, role: k.role, name: k.name, created: k.createdAt.toISOString(), revoked: k.revokedAt?.toISOString() ?? '' })));
    } else if (command === 'revoke' && rest[0]) {
      const revoked = await store.revoke(rest[0]);
      console.log(`revoked ${revoked.id} (${revoked.name})`);
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
