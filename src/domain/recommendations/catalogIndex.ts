// Item metadata aligned with the served model's vocabulary (index i = model item i), so filters and
// business rules run as array lookups inside the top-K loop instead of database queries. It also keeps the
// model's vocabulary covering the whole catalogue: items nobody has touched yet join it when the model is
// prepared and the moment they are upserted.
import type { Db } from '../../db/prismaClient';
import type { ItemMeta } from '../../ml/interactions';
import type { ServingModel } from '../models/servingModel';

export interface ItemFilter {
  categories?: string[] | null;
  excludeCategories?: string[] | null;
  minPrice?: number | null;
  maxPrice?: number | null;
  inStockOnly?: boolean | null;
  excludeItemIds?: string[] | null;
  excludeInteracted?: boolean | null;
}

/** What business rules and filters look at of one item. */
export interface ItemAttributes {
  id: string;
  category: string | null;
  brand: string | null;
  tags: string[];
  price: number | null;
  inStock: boolean;
}

interface CatalogArrays {
  size: number;
  /** 1 when the item exists in the catalogue (events may name items never upserted). */
  known: Uint8Array;
  inStock: Uint8Array;
  price: Float64Array;
  category: (string | null)[];
  /** Category as a small integer (CatalogIndex.categoryNames), -1 for none: for loops over the whole vocabulary. */
  categoryCode: Int32Array;
  brand: (string | null)[];
  tags: string[][];
  title: string[];
}

/** A catalogue row as the index reads it from Postgres. */
export interface ItemRow {
  id: string;
  title: string;
  description: string | null;
  category: string | null;
  brand: string | null;
  tags: string[];
  price: number | null;
  inStock: boolean;
}

const ROW_SELECT = { id: true, title: true, description: true, category: true, brand: true, tags: true, price: true, inStock: true } as const;
// Rows per query while a model is prepared. Prisma turns each result into objects in one synchronous step, time a
// serving process answers nothing else: pages of the whole catalogue blocked a swap for tens to hundreds of ms.
const PAGE = 500;
// Items the model was not trained on, added to it together (see prepare).
const NEW_ITEMS_BATCH = 500;

/**
 * Keeps one set of arrays per served model, so the model being swapped out keeps answering with its own
 * alignment while the new one is prepared.
 */
export class CatalogIndex {
  private readonly byModel = new Map<ServingModel, CatalogArrays>();
  /**
   * Arrays of models still being prepared, with the ids changes have reached meanwhile: prepare reads in pages,
   * so changes must reach these too, and must not be overwritten by rows prepare read before them.
   */
  private readonly preparing = new Map<ServingModel, { arrays: CatalogArrays; updated: Set<string> }>();
  private changes = 0;
  private readonly categoryNames: string[] = [];
  private readonly categoryIndex = new Map<string, number>();

  constructor(private readonly db: Db) {}

  /** Grows on every catalogue change: caches derived from item attributes (rule multipliers) compare it. */
  get version(): number {
    return this.changes;
  }

  /**
   * Builds the arrays for a model about to be served, walking the whole catalogue once: items the model was
   * not trained on are added to its vocabulary (placed by content). `retire` drops a model no longer served.
   */
  async prepare(model: ServingModel): Promise<void> {
    const a = emptyArrays();
    const updated = new Set<string>();
    this.preparing.set(model, { arrays: a, updated });
    try {
      // Items the model lacks join it in batches: each addItems call copies every component's index maps and item
      // ids, so a call per page holding a new item would cost catalogue-sized copies (and their garbage) per page;
      // a batch is bounded too, as content vectorises every item added.
      let fresh: ItemRow[] = [];
      const addFresh = () => {
        model.addItems(fresh.map(toMeta));
        grow(a, model.numItems);
        for (const r of fresh) if (!updated.has(r.id)) this.setRow(a, model.index.get(r.id) as number, r);
        fresh = [];
      };
      let after = '';
      for (;;) {
        const rows: ItemRow[] = await this.db.item.findMany({ where: { id: { gt: after } }, orderBy: { id: 'asc' }, take: PAGE, select: ROW_SELECT });
        if (!rows.length) break;
        grow(a, model.numItems);
        for (const r of rows) {
          const i = model.index.get(r.id);
          if (i === undefined) fresh.push(r);
          else this.setRow(a, i, r);
        }
        if (fresh.length >= NEW_ITEMS_BATCH) addFresh();
        after = rows[rows.length - 1].id;
        if (rows.length < PAGE) break;
      }
      addFresh();
      this.byModel.set(model, a);
      this.changes++;
    } finally {
      this.preparing.delete(model);
    }
  }

  retire(model: ServingModel): void {
    this.byModel.delete(model);
  }

  /** Refreshes changed items after an upsert anywhere in the cluster; new ones join every served model. */
  async update(ids: string[]): Promise<void> {
    if ((!this.byModel.size && !this.preparing.size) || !ids.length) return;
    const rows: ItemRow[] = await this.db.item.findMany({ where: { id: { in: ids } }, select: ROW_SELECT });
    // Synchronous from here on: a request sees the model and its arrays grown together.
    for (const [model, a] of this.byModel) this.apply(model, a, rows);
    for (const [model, { arrays, updated }] of this.preparing) {
      this.apply(model, arrays, rows);
      for (const r of rows) updated.add(r.id);
    }
    this.changes++;
  }

  private apply(model: ServingModel, a: CatalogArrays, rows: ItemRow[]): void {
    model.addItems(rows.filter((r) => !model.index.has(r.id)).map(toMeta));
    grow(a, model.numItems);
    for (const r of rows) this.setRow(a, model.index.get(r.id) as number, r);
  }

  has(model: ServingModel): boolean {
    return this.byModel.has(model);
  }

  isKnown(model: ServingModel, i: number): boolean {
    return Boolean(this.byModel.get(model)?.known[i]);
  }

  /** Every item's category code (index = model item, -1 for none; `size` of them are valid) and the code's names. */
  categoryCodes(model: ServingModel): { codes: Int32Array; size: number; names: readonly string[] } {
    const a = this.byModel.get(model);
    return { codes: a?.categoryCode ?? new Int32Array(0), size: a?.size ?? 0, names: this.categoryNames };
  }

  categoryOf(model: ServingModel, i: number): string | null {
    return this.byModel.get(model)?.category[i] ?? null;
  }

  titleOf(model: ServingModel, i: number): string {
    return this.byModel.get(model)?.title[i] ?? '';
  }

  /** Attributes of item i for rules, or null when it is not in the catalogue. */
  attributesOf(model: ServingModel, i: number): ItemAttributes | null {
    const a = this.byModel.get(model);
    if (!a || i >= a.size || !a.known[i]) return null;
    return { id: model.itemIds[i], category: a.category[i], brand: a.brand[i], tags: a.tags[i], price: Number.isNaN(a.price[i]) ? null : a.price[i], inStock: a.inStock[i] === 1 };
  }

  /**
   * A predicate for topK: true means "skip this item". Unknown items are always skipped, and so are
   * out-of-stock ones unless inStockOnly is false: a list names only items a shopper can open and buy.
   * `exclude` holds further indices to skip (items already served under a recommId, pinned items).
   */
  skipper(model: ServingModel, filter: ItemFilter | null | undefined, interacted: Set<number>, exclude?: Set<number>): (i: number) => boolean {
    const a = this.byModel.get(model);
    if (!a) return () => true;
    const f = filter ?? {};
    const cats = f.categories?.length ? new Set(f.categories) : null;
    const excludedCats = f.excludeCategories?.length ? new Set(f.excludeCategories) : null;
    const excludedIds = new Set((f.excludeItemIds ?? []).map((id) => model.index.get(id)).filter((i) => i !== undefined));
    const excludeInteracted = f.excludeInteracted ?? true;
    const inStockOnly = f.inStockOnly ?? true;
    const minPrice = f.minPrice ?? null;
    const maxPrice = f.maxPrice ?? null;
    const size = a.size;
    const skipInteracted = excludeInteracted && interacted.size > 0;
    const skipExcluded = exclude !== undefined && exclude.size > 0;
    const { known, inStock } = a;
    // Every list's checks; most lists (every pushed one) have no filter and run these alone, for every candidate
    // a head or a ranking considers.
    const unservable = (i: number) => i >= size || known[i] === 0 || (inStockOnly && inStock[i] === 0) || (skipInteracted && interacted.has(i)) || (skipExcluded && exclude.has(i));
    if (!cats && !excludedCats && !excludedIds.size && minPrice === null && maxPrice === null) return unservable;
    return (i) => {
      if (unservable(i) || excludedIds.has(i)) return true;
      const c = a.category[i];
      if (cats && (c === null || !cats.has(c))) return true;
      if (excludedCats && c !== null && excludedCats.has(c)) return true;
      if (minPrice !== null && !(a.price[i] >= minPrice)) return true;
      if (maxPrice !== null && !(a.price[i] <= maxPrice)) return true;
      return false;
    };
  }

  private setRow(a: CatalogArrays, i: number, r: ItemRow): void {
    a.known[i] = 1;
    a.inStock[i] = r.inStock ? 1 : 0;
    a.price[i] = r.price ?? NaN;
    a.category[i] = r.category;
    a.categoryCode[i] = r.category === null ? -1 : this.categoryCode(r.category);
    a.brand[i] = r.brand;
    a.tags[i] = r.tags ?? [];
    a.title[i] = r.title;
  }

  private categoryCode(name: string): number {
    let code = this.categoryIndex.get(name);
    if (code === undefined) {
      code = this.categoryNames.length;
      this.categoryIndex.set(name, code);
      this.categoryNames.push(name);
    }
    return code;
  }
}

function toMeta(r: ItemRow): ItemMeta {
  return { id: r.id, title: r.title, description: r.description, category: r.category, brand: r.brand, tags: r.tags, price: r.price };
}

function emptyArrays(): CatalogArrays {
  return { size: 0, known: new Uint8Array(0), inStock: new Uint8Array(0), price: new Float64Array(0), category: [], categoryCode: new Int32Array(0), brand: [], tags: [], title: [] };
}

/** Extends the arrays to `n` items (new slots unknown until a row is set); typed arrays grow with headroom. */
function grow(a: CatalogArrays, n: number): void {
  if (n <= a.size) return;
  if (n > a.known.length) {
    const capacity = Math.max(n, Math.ceil(a.known.length * 1.5));
    const known = new Uint8Array(capacity);
    known.set(a.known);
    const inStock = new Uint8Array(capacity);
    inStock.set(a.inStock);
    const price = new Float64Array(capacity).fill(NaN);
    price.set(a.price);
    const categoryCode = new Int32Array(capacity).fill(-1);
    categoryCode.set(a.categoryCode);
    a.categoryCode = categoryCode;
    a.known = known;
    a.inStock = inStock;
    a.price = price;
  }
  for (let i = a.size; i < n; i++) {
    a.category.push(null);
    a.brand.push(null);
    a.tags.push([]);
    a.title.push('');
  }
  a.size = n;
}
