// Graceful shutdown over real processes: SIGTERM lets an in-flight request finish, closes WebSockets with a
// proper close code and exits 0 promptly; a client that reconnects to another instance resumes its
// subscription and keeps receiving pushes.
import http from 'node:http';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { createServices, type Services } from '../../src/app/services';
import { createLogger } from '../../src/logger';
import { gqlOk } from '../utils/graphqlClient';
import { freePort, startChild, waitForHttp, type Child } from '../utils/childProcesses';
import { plantedEvents, plantedItems } from '../fixtures/plantedShop';

describe('graceful shutdown', () => {
  let env: TestEnv;
  let services: Services;
  const children: Child[] = [];
  const url = (port: number) => `http://127.0.0.1:${port}/graphql`;
  let portA = 0;
  let portB = 0;
  let a: Child;

  beforeAll(async () => {
    env = await createTestEnv({ RATE_LIMIT_PER_SECOND: '0' });
    services = await createServices(env.config, createLogger('warn'));
    await services.items.upsert(plantedItems());
    await services.events.trackBatch(plantedEvents());
    await services.training.retrain(['pop', 'itemknn']);
    [portA, portB] = [await freePort(), await freePort()];
    a = startChild('api', { ...env.env, PORT: String(portA) });
    const b = startChild('api', { ...env.env, PORT: String(portB) });
    const worker = startChild('worker', env.env);
    children.push(a, b, worker);
    await Promise.all([waitForHttp(`http://127.0.0.1:${portA}/readyz`, a), waitForHttp(`http://127.0.0.1:${portB}/readyz`, b)]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await services?.close();
    await env?.drop();
  });

  it('closes sockets with 1001, exits 0, and the client resumes on the other instance', async () => {
    const closes: number[] = [];
    let connections = 0;
    const client = createClient({
      // First connection goes to A; every reconnection goes to B (as a load balancer would route it).
      url: () => (connections++ === 0 ? url(portA) : url(portB)).replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${env.clientKey}` },
      retryAttempts: 10,
      retryWait: async () => new Promise((r) => setTimeout(r, 200)),
      shouldRetry: () => true,
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    const pushes: string[] = [];
    client.subscribe(
      { query: `subscription { recommendationsUpdated(userId: "mover", limit: 1) { items { item { id } } } }` },
      { next: (m) => pushes.push((m.data as any).recommendationsUpdated.items[0]?.item.id), error: () => undefined, complete: () => undefined },
    );
    await new Promise((r) => setTimeout(r, 500));
    // A request in flight while SIGTERM arrives (its body half sent) still gets its answer.
    const body = JSON.stringify({ query: '{ recommendations(userId: "mover", limit: 5) { recommId } }' });
    const req = http.request(url(portA), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${env.clientKey}`, 'content-length': Buffer.byteLength(body) } });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 10));
    await new Promise((r) => setTimeout(r, 300));
    const exited = a.stop('SIGTERM');
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    req.end(body.slice(10));
    const answered = await answer;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text).data.recommendations.recommId).toBeTruthy();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(closes[0]).toBe(1001);
    // Resubscribed on B: an event sent there produces a push.
    await new Promise((r) => setTimeout(r, 1500));
    await gqlOk(url(portB), env.clientKey, `mutation { trackEvent(input: { userId: "mover", itemId: "p-kitchen-1", type: VIEW }) { accepted } }`);
    const deadline = Date.now() + 15_000;
    while (!pushes.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(pushes[0]).toBe('p-kitchen-6');
    await client.dispose();
  }, 60_000);
});
