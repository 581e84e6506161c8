// Tenants across real processes: a worker process started before a tenant existed takes up the new tenant's jobs
// (its retrains and online updates, whose pushes reach a subscriber on another process) without a restart, and lets
// go of them when the tenant is disabled.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { collect, gqlOk, waitFor, wsClient } from '../utils/graphqlClient';
import { startChild, type Child } from '../utils/childProcesses';
import { plantedEvents, plantedItems } from '../fixtures/plantedShop';
import type { Services } from '../../src/app/services';

describe('tenants across processes', () => {
  let env: TestEnv;
  let local: TestSystem;
  let worker: Child;
  let admin = '';
  let client = '';
  let late: Services;
  const url = () => local.url;

  beforeAll(async () => {
    env = await createTestEnv({ RATE_LIMIT_PER_SECOND: '0' });
    // This process serves the API only: every job below can only run in the worker child.
    local = await startTestSystem(env, { worker: false });
    worker = startChild('worker', env.env);
    await waitFor(async () => (await local.services.retrainProducer.queue.getWorkers()).length > 0, 60000, 200);
    const created = await gqlOk(url(), env.adminKey, `mutation { createTenant(id: "late") { adminKey { key } } }`);
    admin = created.createTenant.adminKey.key;
    client = (await gqlOk(url(), admin, `mutation { createApiKey(role: client, name: "shop") { key } }`)).createApiKey.key;
    late = await local.tenants.forTenant('late');
    await gqlOk(url(), admin, `mutation($items: [ItemInput!]!) { upsertItems(items: $items) }`, { items: plantedItems() });
    await gqlOk(url(), client, `mutation($e: [EventInput!]!) { trackEvents(inputs: $e) { accepted } }`, { e: plantedEvents().slice(0, 100) });
    await gqlOk(url(), client, `mutation($e: [EventInput!]!) { trackEvents(inputs: $e) { accepted } }`, { e: plantedEvents().slice(100) });
  }, 120000);

  afterAll(async () => {
    const code = await worker?.stop();
    await local?.stop();
    await env?.drop();
    expect(code).toBe(0);
  });

  it('runs a retrain of a tenant created after the worker process started', async () => {
    const job = await gqlOk(url(), admin, `mutation { retrain(models: ["pop", "itemknn"], full: true) { id } }`);
    await waitFor(async () => {
      const state = await gqlOk(url(), admin, `query($id: ID!) { trainingJob(id: $id) { status error } }`, { id: job.retrain.id });
      if (state.trainingJob?.status === 'failed') throw new Error(state.trainingJob.error);
      return state.trainingJob?.status === 'completed';
    }, 90000, 200);
    expect((await gqlOk(url(), admin, `query { activeModel { id } }`)).activeModel).not.toBeNull();
    // The default tenant has no events, so nothing of it was trained.
    expect(await local.services.versions.active()).toBeNull();
  });

  it('pushes the tenant subscriber the list the worker process refreshed', async () => {
    const ws = wsClient(url(), client);
    const sub = collect<{ recommendationsUpdated: { items: { item: { id: string } }[] } }>(
      ws,
      `subscription { recommendationsUpdated(userId: "late-newcomer", limit: 5) { items { item { id } } } }`,
      {},
    );
    try {
      await new Promise((r) => setTimeout(r, 300));
      await gqlOk(url(), client, `mutation { trackEvent(input: { userId: "late-newcomer", itemId: "p-toys-2", type: VIEW }) { accepted } }`);
      const push = await sub.next((v) => v.recommendationsUpdated.items.length > 0, 30000);
      expect(push.recommendationsUpdated.items.map((i) => i.item.id)).not.toContain('p-toys-2');
    } finally {
      sub.dispose();
      await ws.dispose();
    }
  });

  it('stops the tenant\'s workers in the worker process when the tenant is disabled, and starts them again', async () => {
    expect((await late.retrainProducer.queue.getWorkers()).length).toBeGreaterThan(0);
    await gqlOk(url(), env.adminKey, `mutation { disableTenant(id: "late") { id } }`);
    await waitFor(async () => (await late.retrainProducer.queue.getWorkers()).length === 0, 30000, 200);
    // The default tenant's workers keep running.
    expect((await local.services.retrainProducer.queue.getWorkers()).length).toBeGreaterThan(0);
    await gqlOk(url(), env.adminKey, `mutation { enableTenant(id: "late") { id } }`);
    await waitFor(async () => (await late.retrainProducer.queue.getWorkers()).length > 0, 30000, 200);
  });
});
