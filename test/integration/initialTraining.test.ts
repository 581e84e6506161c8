// The first training a deployment queues at start, against the real Postgres, Redis and a retrain worker: it runs
// again when the shop has no model although Redis still holds the finished first job (a database replaced, say).
import { createTestEnv, type TestEnv } from '../utils/testEnv';
import { startTestSystem, type TestSystem } from '../utils/testSystem';
import { waitFor } from '../utils/graphqlClient';
import { plantedEvents, plantedItems } from '../fixtures/plantedShop';
import { INITIAL_TRAINING_JOB, requestInitialTraining } from '../../src/app/bootstrap';

describe('initial training', () => {
  let env: TestEnv;
  let sys: TestSystem;

  beforeAll(async () => {
    env = await createTestEnv();
    sys = await startTestSystem(env);
    await sys.services.items.upsert(plantedItems());
    await sys.services.events.trackBatch(plantedEvents());
  }, 60000);

  afterAll(async () => {
    await sys?.stop();
    await env?.drop();
  });

  it('trains a first model, and trains again when none is active though the finished job is still in Redis', async () => {
    const { versions, retrainProducer } = sys.services;
    expect(await requestInitialTraining(sys.services)).toBe(INITIAL_TRAINING_JOB);
    const first = await waitFor(async () => versions.active(), 60000, 200);
    expect(await (await retrainProducer.queue.getJob(INITIAL_TRAINING_JOB))?.isCompleted()).toBe(true);

    // The shop loses its model (its database replaced by one with events but no versions); Redis keeps the job.
    await sys.services.db.$executeRawUnsafe(`UPDATE model_versions SET status = 'retired' WHERE status = 'active'`);
    expect(await versions.active()).toBeNull();
    expect(await requestInitialTraining(sys.services)).toBe(INITIAL_TRAINING_JOB);
    const second = await waitFor(async () => versions.active(), 60000, 200);
    expect(second.id).toBeGreaterThan(first.id);
    // With a model active, nothing more is queued.
    expect(await requestInitialTraining(sys.services)).toBeNull();
  }, 150000);
});
