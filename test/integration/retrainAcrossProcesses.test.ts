// Retraining across real processes: a retrain asked of one API process runs in a separate worker process, its
// progress reaches a subscriber on the API process, and promote / rollback (back to an older version id)
// hot-swap the model served by an API process other than the one that handled the mutation.
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { collect, gqlOk, waitFor, wsClient } from '../utils/graphqlClient';
import { freePort, startChild, waitForHttp, type Child } from '../utils/childProcesses';
import { plantedEvents, plantedItems } from '../fixtures/plantedShop';

const JOB = `id status progress phase metrics servedVersion`;

describe('retraining across processes', () => {
  let env: TestEnv;
  let local: TestSystem;
  const children: Child[] = [];
  let remoteUrl = '';

  const label = async (url: string) =>
    (await gqlOk(url, env.clientKey, `query { recommendations(userId: "p-shopper-1", limit: 3) { modelVersion } }`)).recommendations.modelVersion as string;

  beforeAll(async () => {
    env = await createTestEnv();
    // This process serves the API only; training happens in the worker child.
    local = await startTestSystem(env, { worker: false });
    await local.services.items.upsert(plantedItems());
    await local.services.events.trackBatch(plantedEvents());
    const port = await freePort();
    const api = startChild('api', { ...env.env, PORT: String(port) });
    const worker = startChild('worker', env.env);
    children.push(api, worker);
    remoteUrl = `http://127.0.0.1:${port}/graphql`;
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, api);
    // The worker queues a first training at start because events exist and nothing is active.
    await waitFor(async () => local.services.activeModel.get(), 60000, 200);
  }, 90000);

  afterAll(async () => {
    const codes = await Promise.all(children.map((c) => c.stop()));
    await local?.stop();
    await env?.drop();
    expect(codes).toEqual(children.map(() => 0));
  });

  it('streams a worker process’s progress to a subscriber on another process and swaps every API process', async () => {
    const { retrain } = await gqlOk(local.url, env.adminKey, `mutation { retrain(models: ["pop", "itemknn"], full: true) { id } }`);
    const client = wsClient(remoteUrl, env.adminKey);
    const sub = collect<{ trainingProgress: { status: string; progress: number; servedVersion: string | null; metrics: { ndcg: number } | null } }>(
      client,
      `subscription($id: ID!) { trainingProgress(jobId: $id) { ${JOB} } }`,
      { id: retrain.id },
    );
    try {
      const done = await sub.next((v) => v.trainingProgress.status === 'completed', 40000);
      expect(done.trainingProgress.progress).toBe(100);
      expect(done.trainingProgress.metrics?.ndcg).toBeGreaterThan(0);
      const served = done.trainingProgress.servedVersion as string;
      await waitFor(async () => (await label(remoteUrl)).startsWith(`v${served} `), 10000);
      await waitFor(async () => (await label(local.url)).startsWith(`v${served} `), 10000);
    } finally {
      sub.dispose();
      await client.dispose();
    }
  });

  it('rolls every API process back to the older version', async () => {
    const before = (await gqlOk(local.url, env.adminKey, `query { activeModel { id } }`)).activeModel.id as string;
    const { setFusion } = await gqlOk(local.url, env.adminKey, `mutation { setFusion(strategy: RRF) { id } }`);
    await waitFor(async () => (await label(remoteUrl)).startsWith(`v${setFusion.id} `), 10000);
    const { rollbackModel } = await gqlOk(local.url, env.adminKey, `mutation { rollbackModel { id } }`);
    expect(rollbackModel.id).toBe(before);
    await waitFor(async () => (await label(remoteUrl)).startsWith(`v${before} `), 10000);
  });
});
