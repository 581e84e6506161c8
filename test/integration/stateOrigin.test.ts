// Online state built from one database must not survive onto another (a database dropped and created again
// restarts its event ids): a process that finds the Redis state stamped by another database discards it.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { createServices, type Services } from '../../src/app/services';
import { createLogger } from '../../src/logger';
import { KeySpace } from '../../src/redis/redisConnections';
import { discardStateOfOtherDatabase } from '../../src/domain/users/stateOrigin';
import { plantedItems } from '../fixtures/plantedShop';

describe('online state origin', () => {
  let env: TestEnv;
  let services: Services;
  let keys: KeySpace;
  const log = createLogger('silent');

  beforeAll(async () => {
    env = await createTestEnv();
    services = await createServices(env.config, log);
    keys = new KeySpace(env.redisPrefix);
    await services.items.upsert(plantedItems());
  });

  afterAll(async () => {
    await services?.close();
    await env?.drop();
  });

  it('keeps the state built from this database, and discards state stamped by another one', async () => {
    await services.events.track({ userId: 'kept', itemId: plantedItems()[0].id, type: 'VIEW' });
    await services.online.apply('kept');
    expect(await services.userState.get('kept')).not.toBeNull();

    // Started again on the same database: nothing is discarded.
    expect(await discardStateOfOtherDatabase(services.db, services.redis, keys, log)).toBe(false);
    expect(await services.userState.get('kept')).not.toBeNull();

    // The stamp of a database since dropped: every user's state goes, and the stamp becomes this database's.
    await services.redis.set(keys.key('state-origin'), '1');
    expect(await discardStateOfOtherDatabase(services.db, services.redis, keys, log)).toBe(true);
    expect(await services.userState.get('kept')).toBeNull();
    expect(await services.redis.exists(...keys.allOfUser('kept'))).toBe(0);
    expect(await discardStateOfOtherDatabase(services.db, services.redis, keys, log)).toBe(false);

    // The next update rebuilds it from Postgres, the source of truth.
    await services.online.apply('kept');
    expect((await services.userState.get('kept'))?.history.map((h) => h.itemId)).toEqual([plantedItems()[0].id]);
  });
});
