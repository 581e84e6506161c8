// The model registry as admins drive it: list versions, promote one, roll back to the previously active one,
// and re-fuse the active components with another strategy or weights. Every activation is one transaction in
// ModelVersionStore, then a `model:published` message makes every process hot-swap.
import type { Db } from '../../db/prismaClient';
import type { Logger } from '../../logger';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import { InvalidInputError, NotFoundError } from '../../errors';
import type { ActiveModel, FusionParams } from './activeModel';
import type { ModelVersionRecord, ModelVersionStore } from './modelVersionStore';
import { DEFAULT_FUSION_WEIGHTS, FusionStrategyHook, isFusionStrategy, type FusionStrategyName } from './fusionStrategy';
import { servingOf, type ComponentRef } from './versionComponents';
import { annotateVersion } from './versionAnnotations';

function parseVersionId(id: string): number {
  const n = Number(id);
  if (!/^\d{1,10}$/.test(id) || !Number.isSafeInteger(n)) throw new NotFoundError('Model version', id);
  return n;
}

export class ModelRegistryService {
  constructor(
    private readonly db: Db,
    private readonly versions: ModelVersionStore,
    private readonly activeModel: ActiveModel,
    private readonly pubsub: RedisPubSub,
    private readonly log: Logger,
  ) {}

  /**
   * Call before ActiveModel.start(): applies fusion strategies on every swap, and swaps this process back when
   * another process re-activates an older version (ActiveModel only follows publications of newer ids).
   */
  async start(): Promise<void> {
    this.activeModel.addSwapHooks(new FusionStrategyHook(this.versions));
    await this.pubsub.on('model:published', ({ versionId }) => {
      if (versionId < this.activeModel.versionId) void this.activeModel.refresh();
    });
  }

  list(limit: number): Promise<ModelVersionRecord[]> {
    return this.versions.list(limit);
  }

  active(): Promise<ModelVersionRecord | null> {
    return this.versions.active();
  }

  /** The component versions of a fusion in params order (missing ones skipped), or null for a single model. */
  async components(version: ModelVersionRecord): Promise<ModelVersionRecord[] | null> {
    if (version.kind !== 'fusion') return null;
    const refs = servingOf(version).refs;
    const rows = await Promise.all(refs.map((r) => this.versions.get(r.versionId)));
    return rows.filter((r): r is ModelVersionRecord => r !== null);
  }

  /** Serves `id` (a ready or retired version) on every process. */
  async promote(id: string): Promise<ModelVersionRecord> {
    const target = await this.versions.get(parseVersionId(id));
    if (!target) throw new NotFoundError('Model version', id);
    if (target.status === 'active') return target;
    await annotateVersion(this.db, target.id, { rolledBackAt: null });
    return this.activate(target.id, 'promoted by an admin');
  }

  /**
   * Serves again the version that was active before the current one. Each rollback marks the version it
   * leaves as rolled back, so rolling back twice steps two versions back rather than returning to the bad one.
   */
  async rollback(): Promise<ModelVersionRecord> {
    const current = await this.versions.active();
    if (!current) throw new InvalidInputError('no version is active, so there is nothing to roll back');
    const retired = await this.db.modelVersion.findMany({
      where: { status: 'retired', activatedAt: { not: null }, id: { not: current.id } },
      orderBy: { activatedAt: 'desc' },
      take: 100,
      select: { id: true, metrics: true },
    });
    const previous = retired.find((r) => !(r.metrics as Record<string, unknown> | null)?.rolledBackAt);
    if (!previous) throw new InvalidInputError(`no version was active before v${current.id}, so there is nothing to roll back to`);
    const activated = await this.activate(previous.id, `rollback from v${current.id}`);
    await annotateVersion(this.db, current.id, { rolledBackAt: new Date().toISOString(), note: `rolled back: v${previous.id} is served again` });
    return activated;
  }

  /**
   * Serves a new fusion version over the active version's components with `strategy` and weights (kinds
   * not named keep their weight). It is an admin decision, so it is activated without scoring; the next
   * retrain scores it like any active version.
   */
  async setFusion(strategyName: string, weights: Record<string, unknown> | null): Promise<ModelVersionRecord> {
    const strategy = strategyName.toLowerCase();
    if (!isFusionStrategy(strategy)) throw new InvalidInputError(`unknown fusion strategy ${strategyName}`, { field: 'strategy' });
    const active = await this.versions.active();
    if (!active) throw new InvalidInputError('no version is active yet: retrain first', { field: 'strategy' });
    const current = servingOf(active);
    const refs = strategy === 'best_component' ? await this.bestComponentOnly(active, current.refs, weights) : this.reweigh(current, strategy, weights);
    const keepK = strategy === 'rrf' && current.strategy === 'rrf' && current.rrfK !== undefined ? { rrfK: current.rrfK } : {};
    const params: FusionParams & Record<string, unknown> = { strategy, ...keepK, components: refs, setBy: 'admin', basedOn: active.id };
    const version = await this.versions.create('fusion', params);
    const described = refs.map((r) => `${r.kind} ${r.weight}`).join(', ');
    await this.versions.complete(version.id, {}, {
      metrics: { strategy, note: `set by an admin from v${active.id}: ${strategy} (${described}); not scored until the next retrain` },
      dataWindow: active.dataWindow ?? {},
      trainSeconds: 0,
    });
    return this.activate(version.id, 'fusion set by an admin');
  }

  private reweigh(current: { strategy: string; refs: ComponentRef[] }, strategy: FusionStrategyName, weights: Record<string, unknown> | null): ComponentRef[] {
    const kinds = new Set(current.refs.map((r) => r.kind));
    const given = new Map<string, number>();
    for (const [kind, w] of Object.entries(weights ?? {})) {
      if (!kinds.has(kind)) {
        throw new InvalidInputError(`weights names ${kind}, which the active version does not serve (it serves ${[...kinds].join(', ')})`, { field: 'weights' });
      }
      if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 1000) {
        throw new InvalidInputError(`weights.${kind} must be a number between 0 and 1000`, { field: 'weights' });
      }
      given.set(kind, w);
    }
    // Leaving best-component without weights would keep its one-hot weights: start from the defaults instead.
    const reset = current.strategy === 'best_component' && strategy !== 'best_component';
    const refs = current.refs.map((r) => ({ ...r, weight: given.get(r.kind) ?? (reset ? (DEFAULT_FUSION_WEIGHTS[r.kind] ?? 0.5) : r.weight) }));
    if (refs.every((r) => r.weight === 0)) throw new InvalidInputError('at least one weight must be above 0', { field: 'weights' });
    return refs;
  }

  private async bestComponentOnly(active: ModelVersionRecord, refs: ComponentRef[], weights: Record<string, unknown> | null): Promise<ComponentRef[]> {
    if (weights && Object.keys(weights).length) throw new InvalidInputError('BEST_COMPONENT takes no weights', { field: 'weights' });
    // Prefer the scores the active fusion's retrain took on one split; fall back to each component's own.
    const scored = new Map<number, number>();
    const listed = active.metrics?.components;
    if (Array.isArray(listed)) {
      for (const c of listed as { versionId?: number; ndcg?: number | null }[]) {
        if (typeof c.versionId === 'number' && typeof c.ndcg === 'number') scored.set(c.versionId, c.ndcg);
      }
    }
    for (const r of refs) {
      if (scored.has(r.versionId)) continue;
      const ndcg = (await this.versions.get(r.versionId))?.metrics?.ndcg;
      scored.set(r.versionId, typeof ndcg === 'number' ? ndcg : -1);
    }
    let best = refs[0];
    for (const r of refs) if ((scored.get(r.versionId) ?? -1) > (scored.get(best.versionId) ?? -1)) best = r;
    return refs.map((r) => ({ ...r, weight: r === best ? 1 : 0 }));
  }

  /** Activates, tells every process, and swaps this process at once (the mutation answers after it). */
  private async activate(id: number, reason: string): Promise<ModelVersionRecord> {
    const record = await this.versions.activate(id);
    await this.pubsub.publish('model:published', { versionId: id });
    // Swap this process before answering (other processes follow the publication, see start()).
    await this.activeModel.refresh();
    this.log.info({ versionId: id, kind: record.kind, reason }, 'model version activated');
    return record;
  }
}
