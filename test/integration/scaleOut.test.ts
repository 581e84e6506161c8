// Scale-out over real processes: two API servers and two workers share one Postgres and one Redis, and
// nothing is handled twice: events sent to either API are stored once, each shopper's online state applies
// each event once and in order, every list is published once and reaches subscribers on both servers, and
// retrains asked of both servers at once run one at a time, each by exactly one worker.
import Redis from 'ioredis';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { createServices, type Services } from '../../src/app/services';
import { createLogger } from '../../src/logger';
import { KeySpace } from '../../src/redis/redisConnections';
import { collect, gqlOk, waitFor, wsClient } from '../utils/graphqlClient';
import { freePort, startChild, waitForHttp, type Child } from '../utils/childProcesses';
import { plantedEvents, plantedItems } from '../fixtures/plantedShop';

const TRACK = `mutation($i: EventInput!) { trackEvent(input: $i) { eventId accepted duplicate } }`;
const SHOPPERS = ['scale-a', 'scale-b', 'scale-c', 'scale-d'];
const EVENTS_PER_SHOPPER = 8;

describe('two API servers and two workers, as separate processes', () => {
  let env: TestEnv;
  let services: Services;
  const children: Child[] = [];
  const workers: Child[] = [];
  const urls: string[] = [];
  let keys: KeySpace;

  beforeAll(async () => {
    // Worker logs at info level carry one 'retrain completed' line per job they ran.
    env = await createTestEnv();
    services = await createServices(env.config, createLogger('warn'));
    keys = new KeySpace(env.redisPrefix);
    await services.items.upsert(plantedItems());
    await services.events.trackBatch(plantedEvents());
    await services.training.retrain(['pop', 'itemknn']);
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      children.push(startChild('api', { ...env.env, PORT: String(port) }));
      urls.push(`http://127.0.0.1:${port}/graphql`);
    }
    for (let w = 0; w < 2; w++) workers.push(startChild('worker', { ...env.env, LOG_LEVEL: 'info' }));
    children.push(...workers);
    await Promise.all(ports.map((port, k) => waitForHttp(`http://127.0.0.1:${port}/readyz`, children[k], 90000)));
    await waitFor(
      async () =>
        (await services.onlineStream.consumerCount()) >= 2 && (await services.retrainProducer.queue.getWorkersCount()) >= 2,
      90000,
      200,
    );
    // Four processes starting at once on a small, busy machine take a while; a quiet one needs ~10 s.
  }, 150000);

  afterAll(async () => {
    const codes = await Promise.all(children.map((c) => c.stop()));
    await services?.close();
    await env?.drop();
    // Graceful shutdown: every process exits 0 on SIGTERM.
    expect(codes).toEqual(children.map(() => 0));
  });

  it('stores each event once, applies it once to the shopper’s state, and pushes each list once to both servers', async () => {
    const published: { userId: string; recommId: string; eventSeq: bigint }[] = [];
    const listener = new Redis(env.env.REDIS_URL);
    listener.on('pmessage', (_p: string, _c: string, message: string) => {
      const m = JSON.parse(message) as { userId: string; recommId: string; eventSeq: string };
      published.push({ userId: m.userId, recommId: m.recommId, eventSeq: BigInt(m.eventSeq) });
    });
    // Subscriptions of at most 10 items listen on the heads of the lists (recs-head), deeper ones on recs.
    await listener.psubscribe(keys.channel('recs:*'), keys.channel('recs-head:*'));
    const clients = urls.map((url) => wsClient(url, env.clientKey));
    const subs = clients.map((client) =>
      collect<{ recommendationsUpdated: { recommId: string } }>(client, `subscription { recommendationsUpdated(userId: "${SHOPPERS[0]}", limit: 5) { recommId } }`, {}),
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      const items = plantedItems().map((i) => i.id);
      const sent: { eventId: string; userId: string; itemId: string }[] = [];
      for (let k = 0; k < EVENTS_PER_SHOPPER; k++) {
        for (const [s, userId] of SHOPPERS.entries()) {
          const e = { eventId: `scale-${userId}-${k}`, userId, itemId: items[(s * 10 + k * 3) % items.length] };
          sent.push(e);
          // Alternate servers per event, so every shopper's events arrive through both.
          const { trackEvent } = await gqlOk(urls[sent.length % 2], env.clientKey, TRACK, { i: { ...e, type: 'VIEW' } });
          expect(trackEvent.accepted).toBe(true);
        }
      }
      // The same events again through the other server: idempotent across processes.
      for (const [n, e] of sent.slice(0, 8).entries()) {
        const { trackEvent } = await gqlOk(urls[(n + 1) % 2], env.clientKey, TRACK, { i: { ...e, type: 'VIEW' } });
        expect(trackEvent.duplicate).toBe(true);
      }

      const stored = await services.db.event.findMany({
        where: { userId: { in: SHOPPERS } },
        orderBy: { id: 'asc' },
        select: { id: true, eventId: true, userId: true, itemId: true },
      });
      expect(stored.map((r) => r.eventId).sort()).toEqual(sent.map((e) => e.eventId).sort());

      for (const userId of SHOPPERS) {
        const own = stored.filter((r) => r.userId === userId);
        const newest = own[own.length - 1].id.toString();
        // Applied: the shopper's high-water mark reached their newest event...
        await waitFor(async () => (await services.redis.hget(keys.user(userId, 'state'), 'hwm')) === newest, 20000, 100);
        // ...and their history holds each event exactly once, in order (stored newest first).
        const history = (await services.redis.lrange(keys.user(userId, 'hist'), 0, -1)).map((h) => (JSON.parse(h) as [string])[0]).reverse();
        expect(history).toEqual(own.map((r) => r.itemId));
      }

      // Every list published for a shopper reflects a newer event than the one before: no update ran twice.
      for (const userId of SHOPPERS) {
        const seqs = published.filter((p) => p.userId === userId).map((p) => p.eventSeq);
        seqs.forEach((s, k) => k > 0 && expect(s > seqs[k - 1]).toBe(true));
      }
      // Both servers delivered the same lists, each once, whichever worker published them.
      const mine = () => published.filter((p) => p.userId === SHOPPERS[0]).map((p) => p.recommId);
      expect(mine().length).toBeGreaterThan(0);
      await waitFor(async () => subs.every((s) => s.received.length >= mine().length), 10000, 100);
      for (const sub of subs) {
        expect(sub.failure).toBeNull();
        expect(sub.received.map((v) => v.recommendationsUpdated.recommId)).toEqual(mine());
      }
    } finally {
      subs.forEach((s) => s.dispose());
      await Promise.all(clients.map((c) => c.dispose()));
      listener.disconnect();
    }
  }, 60000);

  it('runs retrains asked of both servers at once one at a time, each by exactly one worker', async () => {
    const versionsBefore = await services.db.modelVersion.count();
    const asked = await Promise.all(urls.map((url) => gqlOk(url, env.adminKey, `mutation { retrain(models: ["pop", "itemknn"], full: true) { id } }`)));
    const ids = asked.map((a) => a.retrain.id as string);
    expect(new Set(ids).size).toBe(2);
    // The same job id queued twice at once is one job.
    const same = await Promise.all(
      [0, 1].map(() => services.retrainProducer.queue.add('retrain', { models: ['pop'], full: false, requestedBy: 'admin' }, { jobId: 'scale-out-once' })),
    );
    expect(same[0].id).toBe(same[1].id);
    ids.push('scale-out-once');

    const jobs = await waitFor(
      async () => {
        const found = await Promise.all(ids.map((id) => services.retrainProducer.queue.getJob(id)));
        const states = await Promise.all(found.map((j) => j?.getState()));
        return states.every((s) => s === 'completed') ? found : null;
      },
      45000,
      250,
    );
    // Started once each: no stall handed a job to the second worker.
    for (const job of jobs) expect(job?.attemptsStarted).toBe(1);
    // Global concurrency 1: no two retrains overlapped, though two workers were free.
    const spans = jobs.map((j) => [j?.processedOn as number, j?.finishedOn as number]).sort((a, b) => a[0] - b[0]);
    spans.forEach((s, k) => k > 0 && expect(s[0]).toBeGreaterThanOrEqual(spans[k - 1][1]));
    // Each job completed in exactly one worker process. A worker logs the completion after BullMQ records it, and
    // runs below the test's priority (WORKER_NICE): wait for every log line before counting them.
    const completions = (id: string) =>
      workers.map((w) => w.output().split('\n').filter((line) => line.includes('retrain completed') && line.includes(`"jobId":"${id}"`)).length).reduce((a, b) => a + b, 0);
    await waitFor(async () => ids.every((id) => completions(id) > 0), 10000, 100);
    for (const id of ids) expect(completions(id)).toBe(1);
    // Two full retrains of two models (two components and a fusion each) and one incremental (one component
    // plus a fusion): versions for each job once, none for a second run of any.
    expect((await services.db.modelVersion.count()) - versionsBefore).toBe(3 + 3 + 2);
  }, 60000);
});
