// CatalogIndex.prepare over a catalogue many pages long, most of whose items the model was never trained on: every
// item joins the model's vocabulary (new ones in batches) with its own attributes, and a catalogue change that
// arrives while the pages are still being read reaches the model being prepared.
import { CatalogIndex, type ItemRow } from '../../src/domain/recommendations/catalogIndex';
import { ServingModel } from '../../src/domain/models/servingModel';
import type { Recommender } from '../../src/ml/recommender';
import type { ItemMeta } from '../../src/ml/interactions';


function component(kind: string, size: number, growable: boolean): Recommender & { addItem?: (m: ItemMeta) => number } {
  let n = size;
  const model: Recommender & { addItem?: (m: ItemMeta) => number } = {
    kind: kind as Recommender['kind'],
    get numItems() {
      return n;
    },
    fit: async () => undefined,
    scoreUser: (_h, out) => out.fill(0),
    similarItems: (_i, out) => out.fill(0),
    save: () => ({}),
    dispose: () => undefined,
  };
  if (growable) model.addItem = () => n++;
  return model;
}

const N = 1730;
const rows: ItemRow[] = Array.from({ length: N }, (_, k) => ({
  id: `item-${String(k).padStart(5, '0')}`,
  title: `title ${k}`,
  description: null,
  category: `c${k % 7}`,
  brand: k % 2 ? 'b' : null,
  tags: [`t${k % 3}`],
  price: k,
  inStock: k % 5 !== 0,
}));

describe('CatalogIndex.prepare', () => {
  it('aligns every catalogue item across pages and new-item batches, and applies changes made meanwhile', async () => {
    // Trained on every third item only, in an order of its own.
    const trained = rows.filter((_, k) => k % 3 === 0).map((r) => r.id).reverse();
    const model = new ServingModel(1, 'v1', [
      { kind: 'pop', model: component('pop', trained.length, false), weight: 1, itemIds: trained },
      { kind: 'content', model: component('content', trained.length, true), weight: 1, itemIds: trained },
    ]);
    const pagesRead: string[] = [];
    let catalog: CatalogIndex | null = null;
    let changed: Promise<void> | null = null;
    const db = {
      item: {
        findMany: async (q: { where: { id: { gt?: string; in?: string[] } }; take?: number }) => {
          if (q.where.id.in) return rows.filter((r) => q.where.id.in?.includes(r.id)).map((r) => ({ ...r }));
          const page = rows.filter((r) => r.id > (q.where.id.gt ?? '')).slice(0, q.take).map((r) => ({ ...r }));
          pagesRead.push(page[0]?.id ?? '');
          // After the first page: an item on it changes, as an upsert elsewhere in the cluster would publish.
          if (pagesRead.length === 2) {
            rows[3].price = 999;
            rows[4].title = 'renamed';
            changed = catalog!.update([rows[3].id, rows[4].id]);
          }
          return page;
        },
      },
    };
    catalog = new CatalogIndex(db as never);
    await catalog.prepare(model);
    await changed;
    expect(pagesRead.length).toBeGreaterThan(2);
    expect(new Set(model.itemIds)).toEqual(new Set(rows.map((r) => r.id)));
    for (const r of rows) {
      const i = model.index.get(r.id) as number;
      expect(catalog.attributesOf(model, i)).toEqual({ id: r.id, category: r.category, brand: r.brand, tags: r.tags, price: r.price, inStock: r.inStock });
      expect(catalog.titleOf(model, i)).toBe(r.title);
    }
    expect(catalog.attributesOf(model, model.index.get(rows[3].id) as number)?.price).toBe(999);
    expect(catalog.titleOf(model, model.index.get(rows[4].id) as number)).toBe('renamed');
  });
});
