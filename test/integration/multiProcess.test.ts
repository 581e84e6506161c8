// Scale-out over real processes: a subscription held on one API server receives the push caused by an
// event sent to another API server, through a separate worker process and Redis pub/sub.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { createServices, type Services } from '../../src/app/services';
import { createLogger } from '../../src/logger';
import { collect, gqlOk, wsClient } from '../utils/graphqlClient';
import { freePort, startChild, waitForHttp, type Child } from '../utils/childProcesses';
import { complementOf, plantedEvents, plantedItems } from '../fixtures/plantedShop';

describe('two API servers and a worker, as separate processes', () => {
  let env: TestEnv;
  let services: Services;
  const children: Child[] = [];
  let urlA = '';
  let urlB = '';

  beforeAll(async () => {
    env = await createTestEnv();
    services = await createServices(env.config, createLogger('warn'));
    await services.items.upsert(plantedItems());
    await services.events.trackBatch(plantedEvents());
    await services.training.retrain(['pop', 'itemknn']);
    const [portA, portB] = [await freePort(), await freePort()];
    const a = startChild('api', { ...env.env, PORT: String(portA) });
    const b = startChild('api', { ...env.env, PORT: String(portB) });
    const worker = startChild('worker', env.env);
    children.push(a, b, worker);
    urlA = `http://127.0.0.1:${portA}/graphql`;
    urlB = `http://127.0.0.1:${portB}/graphql`;
    await Promise.all([waitForHttp(`http://127.0.0.1:${portA}/readyz`, a), waitForHttp(`http://127.0.0.1:${portB}/readyz`, b)]);
  }, 180_000);

  afterAll(async () => {
    const codes = await Promise.all(children.map((c) => c.stop()));
    await services?.close();
    await env?.drop();
    // Graceful shutdown: every process exits 0 on SIGTERM.
    expect(codes).toEqual(children.map(() => 0));
  });

  it('delivers the push to a subscriber on the other server', async () => {
    const client = wsClient(urlA, env.clientKey);
    const sub = collect<{ recommendationsUpdated: { items: { item: { id: string } }[] } }>(
      client,
      `subscription { recommendationsUpdated(userId: "roamer", limit: 3) { items { item { id } } } }`,
      {},
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      await gqlOk(urlB, env.clientKey, `mutation { trackEvent(input: { userId: "roamer", itemId: "p-toys-3", type: VIEW }) { accepted } }`);
      const push = await sub.next((v) => v.recommendationsUpdated.items.length > 0, 20000);
      expect(push.recommendationsUpdated.items[0].item.id).toBe(complementOf('p-toys-3'));
    } finally {
      sub.dispose();
      await client.dispose();
    }
  });
});
