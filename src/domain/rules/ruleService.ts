// Stores the merchandising rule set in Postgres and keeps every process's copy current: setRules replaces the
// whole set in one transaction, then announces it on `rules:changed`, and every process reloads it.
import type { Db } from '../../db/prismaClient';
import type { Logger } from '../../logger';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import { validateRules, type Rule, type RuleInput, type RuleSurface } from './rule';
import { RuleSet } from './ruleSet';

interface RuleRow {
  id: string;
  name: string | null;
  action: Rule['action'];
  factor: number | null;
  position: number | null;
  categories: string[] | null;
  brands: string[] | null;
  tags: string[] | null;
  item_ids: string[] | null;
  min_price: number | null;
  max_price: number | null;
  surfaces: string[] | null;
  created_at: Date;
}

export class RuleService {
  private current = new RuleSet([], 0);
  private loads = 0;
  private loading: Promise<void> = Promise.resolve();
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly pubsub: RedisPubSub,
    private readonly log: Logger,
  ) {}

  /** Loads the stored rules and follows every later change, from any process. */
  async start(): Promise<void> {
    this.unsubscribe = await this.pubsub.on('rules:changed', () => void this.reload());
    await this.reload();
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    await this.loading;
  }

  /** The rules in force in this process. */
  get set(): RuleSet {
    return this.current;
  }

  list(): readonly Rule[] {
    return this.current.rules;
  }

  /** Validates the whole set, then replaces the stored one atomically; a bad rule stores nothing. */
  async replace(inputs: RuleInput[]): Promise<readonly Rule[]> {
    const rules = validateRules(inputs);
    const payload = JSON.stringify(
      rules.map((r, ordinal) => ({
        id: r.id,
        ordinal,
        action: r.action,
        factor: r.factor,
        position: r.position,
        categories: r.categories,
        brands: r.brands,
        tags: r.tags,
        item_ids: r.itemIds,
        min_price: r.minPrice,
        max_price: r.maxPrice,
        surfaces: r.surfaces,
        name: r.name,
      })),
    );
    await this.db.$transaction([
      this.db.$executeRawUnsafe('DELETE FROM rules'),
      this.db.$executeRawUnsafe(
        `INSERT INTO rules (id, ordinal, action, factor, position, categories, brands, tags, item_ids, min_price, max_price, surfaces, name)
         SELECT r.id, r.ordinal, r.action::"RuleAction", r.factor, r.position,
                ARRAY(SELECT jsonb_array_elements_text(r.categories)), ARRAY(SELECT jsonb_array_elements_text(r.brands)),
                ARRAY(SELECT jsonb_array_elements_text(r.tags)), ARRAY(SELECT jsonb_array_elements_text(r.item_ids)),
                r.min_price, r.max_price, ARRAY(SELECT jsonb_array_elements_text(r.surfaces)), r.name
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, ordinal int, action text, factor double precision, position int,
              categories jsonb, brands jsonb, tags jsonb, item_ids jsonb, min_price double precision, max_price double precision,
              surfaces jsonb, name text)`,
        payload,
      ),
    ]);
    // This process answers with the new set at once; the others follow the announcement.
    await this.reload();
    await this.pubsub.publish('rules:changed', { at: Date.now() });
    return this.current.rules;
  }

  /** Reloads from Postgres. Serialised, so the newest load always wins. */
  reload(): Promise<void> {
    this.loading = this.loading.then(async () => {
      try {
        const rows = await this.db.$queryRawUnsafe<RuleRow[]>(
          `SELECT id, name, action::text AS action, factor, position, categories, brands, tags, item_ids, min_price, max_price, surfaces, created_at
           FROM rules ORDER BY ordinal`,
        );
        this.current = new RuleSet(rows.map(fromRow), ++this.loads);
      } catch (err) {
        // Keep the rules in force; the next announcement or restart loads again.
        this.log.error({ err }, 'failed to load merchandising rules');
      }
    });
    return this.loading;
  }
}

function fromRow(r: RuleRow): Rule {
  return {
    id: r.id,
    name: r.name,
    action: r.action,
    factor: r.factor,
    position: r.position,
    categories: r.categories ?? [],
    brands: r.brands ?? [],
    tags: r.tags ?? [],
    itemIds: r.item_ids ?? [],
    minPrice: r.min_price,
    maxPrice: r.max_price,
    surfaces: (r.surfaces ?? []) as RuleSurface[],
    createdAt: r.created_at,
  };
}
