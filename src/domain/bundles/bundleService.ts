// Bundles: items bought together with an item (purchases of the same shopper in one order, or within a short
// window, counted in SQL over the event log), and the complement of a shopper's current cart. Short lists
// are filled from the served model (similar items, or the shopper's personal list), so a bundle is never
// empty while the catalogue has related items. The BUNDLES rules (boost, bury) apply; stock is checked.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/prismaClient';
import { NotFoundError } from '../../errors';
import type { ImpressionRecorder } from '../recommendations/impressionRecorder';
import type { RecommendationService, ServedItem, ServedList } from '../recommendations/recommendationService';
import { explain } from '../recommendations/explanations';
import type { RuleSet } from '../rules/ruleSet';

interface CoPurchaseRow {
  item_id: string;
  anchor_id: string;
  score: number;
  category: string | null;
  brand: string | null;
  tags: string[] | null;
  price: number | null;
}

// Purchases this close in time count as one order when the events carry no context.orderId.
const ORDER_WINDOW = '2 hours';
// Most recent purchases of an anchor item looked at, and cart events read per shopper.
const ANCHOR_PURCHASES = 2000;
const CART_EVENTS = 500;

export class BundleService {
  constructor(
    private readonly db: Db,
    private readonly recommendations: RecommendationService,
    private readonly rules: { readonly set: RuleSet },
    private readonly impressions: ImpressionRecorder,
  ) {}

  async frequentlyBoughtTogether(itemId: string, limit: number): Promise<ServedList> {
    const [anchor] = await this.db.$queryRawUnsafe<{ title: string }[]>('SELECT title FROM items WHERE id = $1', itemId);
    if (!anchor) throw new NotFoundError('Item', itemId);
    const together = await this.coPurchased([itemId], limit * 3);
    const items = this.toItems(together, new Map([[itemId, anchor.title]]), 'bundle', limit);
    if (items.length < limit) {
      // Short of co-purchases (a new or rarely bought item): fill with what the models find related.
      const similar = await this.recommendations.similarList(itemId, limit * 2).catch(() => null);
      this.fill(items, similar?.items ?? [], limit, new Set([itemId]));
    }
    return this.served(null, items, 'frequentlyBoughtTogether', { itemId });
  }

  async completeTheCart(userId: string, limit: number): Promise<ServedList> {
    const cart = await this.cartOf(userId);
    if (!cart.length) return this.served(userId, [], 'completeTheCart', { cart: [] });
    const titles = new Map((await this.db.$queryRawUnsafe<{ id: string; title: string }[]>('SELECT id, title FROM items WHERE id = ANY($1::text[])', cart)).map((r) => [r.id, r.title]));
    const together = (await this.coPurchased(cart, limit * 3)).filter((r) => !cart.includes(r.item_id));
    const items = this.toItems(together, titles, 'cart', limit);
    if (items.length < limit) {
      // The shopper's list is driven by their latest events, the cart additions among them.
      const personal = await this.recommendations.rankFor(userId, limit * 2, { excludeItemIds: cart, excludeInteracted: false });
      this.fill(items, personal.items, limit, new Set(cart));
    }
    return this.served(userId, items, 'completeTheCart', { cart });
  }

  /** Items in the cart: added, and not bought or removed since (newest cart events first). */
  private async cartOf(userId: string): Promise<string[]> {
    const rows = await this.db.$queryRawUnsafe<{ item_id: string; type: string }[]>(
      `SELECT DISTINCT ON (item_id) item_id, type::text AS type FROM (
         SELECT item_id, type, id FROM events
         WHERE user_id = $1 AND item_id IS NOT NULL AND NOT flagged AND type IN ('ADD_TO_CART', 'REMOVE_FROM_CART', 'PURCHASE')
         ORDER BY id DESC LIMIT ${CART_EVENTS}) e
       ORDER BY item_id, id DESC`,
      userId,
    );
    return rows.filter((r) => r.type === 'ADD_TO_CART').map((r) => r.item_id);
  }

  /**
   * Items purchased in the same order as any of `anchors` (same context.orderId, or the same shopper within
   * ORDER_WINDOW), scored by co-purchases / sqrt(purchases of the item) so best-sellers do not win by volume.
   */
  private coPurchased(anchors: string[], k: number): Promise<CoPurchaseRow[]> {
    return this.db.$queryRawUnsafe<CoPurchaseRow[]>(
      `WITH anchor AS (
         SELECT item_id AS anchor_id, user_id, occurred_at, context->>'orderId' AS order_id FROM events
         WHERE item_id = ANY($1::text[]) AND type = 'PURCHASE' AND NOT flagged ORDER BY id DESC LIMIT ${ANCHOR_PURCHASES}
       ), pairs AS (
         SELECT DISTINCT a.anchor_id, a.user_id, a.occurred_at, e.item_id FROM anchor a
         JOIN events e ON e.user_id = a.user_id AND e.type = 'PURCHASE' AND NOT e.flagged AND e.item_id IS NOT NULL
           AND e.item_id <> ALL($1::text[])
           AND ((a.order_id IS NOT NULL AND e.context->>'orderId' = a.order_id)
             OR e.occurred_at BETWEEN a.occurred_at - interval '${ORDER_WINDOW}' AND a.occurred_at + interval '${ORDER_WINDOW}')
       ), counted AS (
         SELECT item_id, (array_agg(anchor_id ORDER BY anchor_id))[1] AS anchor_id, count(*)::float8 AS together FROM pairs GROUP BY item_id
       )
       SELECT c.item_id, c.anchor_id, c.together / sqrt(greatest(1, (SELECT count(*) FROM events p WHERE p.item_id = c.item_id AND p.type = 'PURCHASE'))) AS score,
              i.category, i.brand, i.tags, i.price
       FROM counted c JOIN items i ON i.id = c.item_id AND i.in_stock
       ORDER BY score DESC, c.item_id LIMIT $2`,
      anchors,
      k,
    );
  }

  private toItems(rows: CoPurchaseRow[], anchorTitles: Map<string, string>, source: 'bundle' | 'cart', limit: number): ServedItem[] {
    const rules = this.rules.set;
    return rows
      .map((r) => ({ r, score: r.score * rules.multiplierFor({ id: r.item_id, category: r.category, brand: r.brand, tags: r.tags ?? [], price: r.price }, 'BUNDLES') }))
      .filter((x) => x.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, limit)
      .map(({ r, score }) => {
        const title = anchorTitles.get(r.anchor_id);
        return { id: r.item_id, score, reasons: [{ source, weight: 1, explanation: explain({ source, anchor: title ? { title, type: 4 } : undefined }) }] };
      });
  }

  private fill(items: ServedItem[], more: ServedItem[], limit: number, exclude: Set<string>): void {
    const have = new Set(items.map((i) => i.id));
    for (const m of more) {
      if (items.length >= limit) break;
      if (have.has(m.id) || exclude.has(m.id)) continue;
      have.add(m.id);
      items.push(m);
    }
  }

  private served(userId: string | null, items: ServedItem[], surface: string, context: Record<string, unknown>): ServedList {
    const list: ServedList = { recommId: randomUUID(), userId, modelVersion: 'bundles', generatedAt: new Date(), items };
    this.impressions.record({ recommId: list.recommId, userId, surface, modelVersion: list.modelVersion, itemIds: items.map((i) => i.id), context });
    return list;
  }
}
