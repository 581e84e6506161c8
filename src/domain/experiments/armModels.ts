// Loads and holds the model versions experiment arms serve besides the active one. The active version is
// served by ActiveModel; an arm pinned to another version gets its own ServingModel here, aligned with the
// catalogue index before it is served and disposed (after a grace period) once no arm needs it.
import type { Logger } from '../../logger';
import type { CatalogIndex } from '../recommendations/catalogIndex';
import { componentsForStrategy } from '../models/fusionStrategy';
import type { ModelVersionRecord, ModelVersionStore } from '../models/modelVersionStore';
import { ServingModel } from '../models/servingModel';
import { loadComponents, servingOf } from '../models/versionComponents';

// Requests that picked up a model keep a reference; give them time before freeing its buffers.
const DISPOSE_GRACE_MS = 30_000;

/** The label lists name a version by, as ActiveModel builds it ("v7 fusion(pop+itemknn)", "v3 itemknn"). */
export function servingLabel(version: Pick<ModelVersionRecord, 'id' | 'kind' | 'params'>): string {
  if (version.kind !== 'fusion') return `v${version.id} ${version.kind}`;
  return `v${version.id} fusion(${servingOf(version).refs.map((r) => r.kind).join('+')})`;
}

export class ArmModels {
  private readonly loaded = new Map<number, ServingModel>();
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly versions: ModelVersionStore,
    private readonly catalog: CatalogIndex,
    private readonly log: Logger,
  ) {}

  /** The loaded model of a version, or null while it loads (or when it failed to load). */
  get(versionId: number): ServingModel | null {
    return this.loaded.get(versionId) ?? null;
  }

  /** Loads every version in `wanted` not loaded yet and retires the others. Serialised. */
  sync(wanted: Iterable<number>): Promise<void> {
    const want = new Set(wanted);
    this.syncing = this.syncing.then(async () => {
      for (const [id, model] of this.loaded) {
        if (want.has(id)) continue;
        this.loaded.delete(id);
        this.retireLater(model);
      }
      for (const id of want) {
        if (this.loaded.has(id)) continue;
        try {
          this.loaded.set(id, await this.load(id));
          this.log.info({ versionId: id }, 'experiment arm model loaded');
        } catch (err) {
          // The arm falls back to the active model (its lists are not counted for the experiment); retried on the next sync.
          this.log.error({ err, versionId: id }, 'failed to load an experiment arm model');
        }
      }
    });
    return this.syncing;
  }

  async close(): Promise<void> {
    await this.syncing;
    for (const model of this.loaded.values()) {
      this.catalog.retire(model);
      model.dispose();
    }
    this.loaded.clear();
  }

  private async load(versionId: number): Promise<ServingModel> {
    const version = await this.versions.get(versionId);
    if (!version) throw new Error(`model version ${versionId} does not exist`);
    const serving = servingOf(version);
    const components = componentsForStrategy(serving.strategy, await loadComponents(this.versions, serving.refs));
    const trainedThrough = BigInt(String(version.dataWindow?.toEventId ?? 0));
    const model = new ServingModel(version.id, servingLabel(version), components, trainedThrough);
    try {
      await this.catalog.prepare(model);
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  }

  private retireLater(model: ServingModel): void {
    setTimeout(() => {
      this.catalog.retire(model);
      model.dispose();
    }, DISPOSE_GRACE_MS).unref();
  }
}
