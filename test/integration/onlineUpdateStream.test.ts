// The online-update stream and its workers against the real Redis and Postgres: batches, acknowledgement,
// two workers on one shopper (compare-and-set), an erasure in the middle of an update, and entries a crashed
// worker left behind.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { createServices, type Services } from '../../src/app/services';
import { createLogger } from '../../src/logger';
import { OnlineUpdateWorker } from '../../src/jobs/onlineUpdateWorker';
import { ONLINE_UPDATE_GROUP } from '../../src/jobs/onlineUpdateStream';
import { waitFor } from '../utils/graphqlClient';
import { plantedEvents, plantedItems } from '../fixtures/plantedShop';
import { UserHistoryReader } from '../../src/domain/users/userHistory';

describe('online-update stream', () => {
  let env: TestEnv;
  let a: Services;
  let b: Services;
  const log = createLogger('warn');
  const items = plantedItems().map((i) => i.id);

  beforeAll(async () => {
    // Online updates are asked for through the stream, but no worker role runs: each test starts its own workers.
    env = await createTestEnv();
    a = await createServices(env.config, log);
    b = await createServices(env.config, log);
    await a.items.upsert(plantedItems());
    await a.events.trackBatch(plantedEvents());
    await a.training.retrain(['pop', 'itemknn']);
    await waitFor(async () => a.activeModel.get() && b.activeModel.get(), 30000);
  }, 60000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await env?.drop();
  });

  const historyOf = async (userId: string) => (await a.userState.get(userId))?.history.map((h) => h.itemId) ?? null;

  it('takes the users waiting in one batch, applies every event, and leaves the stream empty', async () => {
    const users = Array.from({ length: 20 }, (_, u) => `batch-${u}`);
    // Only this test's entries: the planted shop's were asked for too.
    await a.redis.del(a.onlineStream.key);
    await a.events.trackBatch(users.flatMap((userId, u) => [0, 1, 2].map((k) => ({ userId, itemId: items[(u + k) % items.length], type: 'VIEW' }))));
    await waitFor(async () => (await a.onlineStream.depth()).waiting >= users.length);
    const batches: string[][] = [];
    const applyMany = a.online.applyMany.bind(a.online);
    a.online.applyMany = async (ids) => {
      batches.push(ids);
      return applyMany(ids);
    };
    const worker = new OnlineUpdateWorker(a.onlineStream, a.online, a.blockingConnection('test-online'), log, { batchSize: 100 });
    await worker.start();
    try {
      await waitFor(async () => {
        const d = await a.onlineStream.depth();
        return d.waiting === 0 && d.active === 0;
      });
      expect(batches[0].sort()).toEqual([...users].sort());
      for (const [u, userId] of users.entries()) expect(await historyOf(userId)).toEqual([0, 1, 2].map((k) => items[(u + k) % items.length]));
      // Handled entries are deleted, not only acknowledged: the stream does not grow with traffic.
      expect(await a.redis.xlen(a.onlineStream.key)).toBe(0);
      // What the catch-up sweeper asks: nobody is behind their newest event, but a newer one is not applied yet.
      const newest = await a.db.event.findFirst({ where: { userId: users[0] }, orderBy: { id: 'desc' } });
      expect(await a.userState.behind(new Map([[users[0], newest!.id]]))).toEqual([]);
      expect(await a.userState.behind(new Map([[users[0], newest!.id + 1n], ['never-seen', 1n]]))).toEqual([users[0], 'never-seen']);
    } finally {
      a.online.applyMany = applyMany;
      await worker.close();
    }
  });

  it('two workers updating one shopper at once apply each event exactly once, and publish in order', async () => {
    const userId = 'contended';
    const seqs: bigint[] = [];
    const off = await a.pubsub.on('recs', (p) => seqs.push(BigInt(p.eventSeq)), userId);
    try {
      const sent: string[] = [];
      for (let k = 0; k < 30; k++) {
        const itemId = items[(k * 7) % items.length];
        await a.events.track({ eventId: `contended-${k}`, userId, itemId, type: 'VIEW' });
        sent.push(itemId);
        // Both "processes" race for every event; a compare-and-set loser re-reads instead of writing over.
        await Promise.all([a.online.applyMany([userId]), b.online.applyMany([userId])]);
      }
      expect(await historyOf(userId)).toEqual(sent.slice(-env.config.historyWindow));
      await waitFor(async () => seqs.length > 0);
      expect(seqs).toEqual([...seqs].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      await off();
    }
  });

  it('an update that read a new shopper before their erasure does not bring their state back', async () => {
    const userId = 'erased-mid-update';
    await a.events.track({ userId, itemId: items[1], type: 'VIEW' });
    await a.events.track({ userId, itemId: items[2], type: 'VIEW' });
    // No online state yet, so the update rebuilds it from Postgres; deleteUser runs between that read and its write.
    const fromDatabase = UserHistoryReader.prototype.fromDatabase;
    UserHistoryReader.prototype.fromDatabase = async function (this: UserHistoryReader, ...args: Parameters<typeof fromDatabase>) {
      const entries = await fromDatabase.apply(this, args);
      if (args[0] === userId) expect(await a.users.delete(userId)).toBe(true);
      return entries;
    };
    try {
      const [outcome] = await a.online.applyMany([userId]);
      expect(outcome.applied).toBe(2);
    } finally {
      UserHistoryReader.prototype.fromDatabase = fromDatabase;
    }
    expect(await a.redis.exists(...a.keys.allOfUser(userId))).toBe(0);
    expect(await a.db.event.count({ where: { userId } })).toBe(0);
  });

  it('takes over the entries a crashed worker read and never acknowledged', async () => {
    const userId = 'orphaned';
    await a.events.track({ userId, itemId: items[3], type: 'VIEW' });
    await waitFor(async () => (await a.onlineStream.depth()).waiting >= 1);
    // A worker reads the entry and dies before acknowledging it.
    await a.redis.xreadgroup('GROUP', ONLINE_UPDATE_GROUP, 'crashed-worker', 'COUNT', 1000, 'STREAMS', a.onlineStream.key, '>');
    expect((await a.onlineStream.depth()).active).toBeGreaterThanOrEqual(1);
    const worker = new OnlineUpdateWorker(b.onlineStream, b.online, b.blockingConnection('test-online-2'), log, { batchSize: 100, reclaimAfterMs: 200 });
    await worker.start();
    try {
      await waitFor(async () => (await historyOf(userId))?.includes(items[3]), 15000);
      await waitFor(async () => (await b.onlineStream.depth()).active === 0, 15000);
      expect(await b.onlineStream.consumerCount()).toBe(1);
    } finally {
      await worker.close();
    }
    expect(await b.onlineStream.consumerCount()).toBe(0);
  });
});
