// The online updater's inner loop alone: one shopper's list of CACHED_LIST_SIZE items (candidates, fusion,
// diversity cap, reasons) from their recent history, as every pushed list is computed, over the generated shop's
// catalogue with pop + item-to-item trained on its events. CPU per list is what the worker spends per update.
import { ServingModel } from '../domain/models/servingModel';
import { CatalogIndex } from '../domain/recommendations/catalogIndex';
import { RecommendationService } from '../domain/recommendations/recommendationService';
import type { ModelRouter } from '../domain/models/modelRouter';
import type { UserHistoryReader } from '../domain/users/userHistory';
import type { ImpressionRecorder } from '../domain/recommendations/impressionRecorder';
import type { HistoryEntry } from '../domain/users/userStateStore';
import { packByUser } from '../domain/training/trainingDataset';
import { createRecommender } from '../ml/models/registry';
import { DEFAULT_EVENT_WEIGHTS, EVENT_TYPES, type EventTypeName, type Interactions } from '../ml/interactions';
import { createRng } from '../ml/random';
import { favouriteCategories, itemId, nextItem, syntheticEvents, syntheticItems, type ShopShape } from './syntheticShop';
import { inMemoryCatalogue } from './inMemoryCatalogue';
import { median, percentile, progress } from './stats';
import { PUSH_HEAD_DEPTH } from '../pubsub/topics';

/** Lists of one length: what a subscription's topic asks the worker for (its head, or the whole cached list). */
export interface ListDepthResult {
  listSize: number;
  /** CPU per list of each timed pass over every shopper, and their median. */
  cpuUsPerPass: number[];
  cpuUsPerList: number;
  wallP50Us: number;
  wallP99Us: number;
}

export interface ListMicroResult {
  items: number;
  trainingEvents: number;
  shoppers: number;
  /** Mean history length of the timed shoppers. */
  meanHistory: number;
  depths: ListDepthResult[];
  fitSeconds: number;
}

/** The shop's events as training interactions, packed as a retrain packs the stored events. */
export async function shopInteractions(shape: ShopShape, itemIds: string[]): Promise<Interactions> {
  const index = new Map(itemIds.map((id, i) => [id, i]));
  const userIds: string[] = [];
  const users: number[] = [];
  const items: number[] = [];
  const times: number[] = [];
  const types: number[] = [];
  const weights: number[] = [];
  // The generator writes each shopper's events together, so a new id starts a new user.
  for await (const batch of syntheticEvents(shape)) {
    for (const e of batch) {
      if (userIds[userIds.length - 1] !== e.userId) userIds.push(e.userId);
      const type = e.type as EventTypeName;
      users.push(userIds.length - 1);
      items.push(index.get(e.itemId as string) as number);
      times.push(e.occurredAt.getTime() / 1000);
      types.push(EVENT_TYPES.indexOf(type));
      weights.push(DEFAULT_EVENT_WEIGHTS[type]);
    }
  }
  return packByUser(users, items, times, types, weights, userIds, itemIds);
}

/** Pushed lists as deep as a head subscription asks (PUSH_HEAD_DEPTH) and as the whole cached list (50) by default. */
export async function benchmarkLists(shape: ShopShape, opts: { shoppers?: number; listSizes?: number[]; passes?: number; maxCategoryShare?: number } = {}): Promise<ListMicroResult> {
  const shoppers = opts.shoppers ?? 2000;
  const listSizes = opts.listSizes ?? [PUSH_HEAD_DEPTH, 50];
  const passes = opts.passes ?? 5;
  const rows = [...syntheticItems(shape)].flat();
  const itemIds = rows.map((r) => r.id);
  progress(`lists: training pop and itemknn (untuned defaults) on the generated shop's ${shape.events.toLocaleString('en-US')} events`);
  const fitStarted = performance.now();
  const data = await shopInteractions(shape, itemIds);
  const pop = createRecommender('pop');
  const knn = createRecommender('itemknn', { tune: false });
  await pop.fit(data, null);
  await knn.fit(data, null);
  const fitSeconds = (performance.now() - fitStarted) / 1000;

  const model = new ServingModel(1, 'v1', [
    { kind: 'itemknn', model: knn, weight: 1, itemIds },
    { kind: 'pop', model: pop, weight: 0.3, itemIds },
  ]);
  const catalog = new CatalogIndex(inMemoryCatalogue(rows.map((r) => ({ ...r, description: null, tags: r.tags ?? [], inStock: true }))) as never);
  await catalog.prepare(model);
  const router = { forUser: () => ({ model, arm: null, experimentId: null }) } as unknown as ModelRouter;
  const service = new RecommendationService(router, catalog, {} as UserHistoryReader, { record: () => undefined } as unknown as ImpressionRecorder, true, {
    maxCategoryShare: opts.maxCategoryShare ?? 0.5,
  });

  // Shoppers of the traffic the push benchmark sends: 5 to 34 recent events following the shop's planted tastes.
  const rng = createRng(99);
  const histories: HistoryEntry[][] = Array.from({ length: shoppers }, (_, u) => {
    const favourites = favouriteCategories(shape, u);
    let previous = -1;
    return Array.from({ length: 5 + Math.floor(rng() * 30) }, (_, k) => {
      previous = nextItem(shape, rng, favourites, previous);
      return { itemId: itemId(previous), time: 1.79e9 + k * 60, type: k % 5 === 0 ? 1 : 0 };
    });
  });
  const pass = (listSize: number, walls?: number[]) => {
    const cpu = process.cpuUsage();
    for (let u = 0; u < shoppers; u++) {
      const t = performance.now();
      const list = service.listForHistory(`u${u}`, { entries: histories[u], embedding: null }, listSize);
      walls?.push(performance.now() - t);
      if (list.items.length !== listSize) throw new Error(`shopper ${u} got ${list.items.length} items`);
    }
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / shoppers;
  };
  progress(`lists: ${passes} timed passes over ${shoppers} shoppers at each of ${listSizes.join(' and ')} items`);
  for (const listSize of listSizes) pass(listSize); // warm-up: JIT, the catalogue's derived arrays
  const walls = listSizes.map((): number[] => []);
  const perPass = listSizes.map((): number[] => []);
  // The lengths take turns, so a machine that slows down mid-run slows them alike.
  for (let p = 0; p < passes; p++) listSizes.forEach((listSize, d) => perPass[d].push(pass(listSize, walls[d])));
  return {
    items: shape.items,
    trainingEvents: data.items.length,
    shoppers,
    meanHistory: histories.reduce((s, h) => s + h.length, 0) / shoppers,
    depths: listSizes.map((listSize, d) => ({
      listSize,
      cpuUsPerPass: perPass[d],
      cpuUsPerList: median(perPass[d]),
      wallP50Us: percentile(walls[d], 50) * 1000,
      wallP99Us: percentile(walls[d], 99) * 1000,
    })),
    fitSeconds,
  };
}
