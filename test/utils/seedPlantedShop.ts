// Loads the planted shop and waits until a trained model serves it: through the real API and the retrain queue
// (seedPlantedShop) for tests that measure that traffic, or straight through the services (trainPlantedShop).
import { gqlOk, waitFor } from './graphqlClient';
import { plantedEvents, plantedItems } from '../fixtures/plantedShop';
import type { TestEnv } from './testEnv';
import type { TestSystem } from './testSystem';

export async function seedPlantedShop(sys: TestSystem, env: TestEnv): Promise<void> {
  await gqlOk(sys.url, env.adminKey, `mutation($items: [ItemInput!]!) { upsertItems(items: $items) }`, { items: plantedItems() });
  const events = plantedEvents();
  for (let i = 0; i < events.length; i += 100) {
    await gqlOk(sys.url, env.clientKey, `mutation($inputs: [EventInput!]!) { trackEvents(inputs: $inputs) { accepted } }`, { inputs: events.slice(i, i + 100) });
  }
  await sys.services.retrainProducer.request({ models: ['pop', 'itemknn'], full: true, requestedBy: 'admin' });
  await waitFor(async () => sys.services.activeModel.get(), 60000, 100);
}

/** The planted shop stored and trained through the services, for tests about what happens after. */
export async function trainPlantedShop(sys: TestSystem): Promise<void> {
  await sys.services.items.upsert(plantedItems());
  await sys.services.events.trackBatch(plantedEvents());
  await sys.services.training.retrain(['pop', 'itemknn']);
  await waitFor(async () => sys.services.activeModel.get(), 30000);
}
