// Holds the model version this process serves and hot-swaps it when a newer one is published: the new
// version is fully loaded before the pointer moves, so a request in flight finishes on the old one.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../../logger';
import type { RedisPubSub } from '../../pubsub/redisPubSub';
import { loadRecommender } from '../../ml/models/registry';
import { ServingModel, type ServingComponent } from './servingModel';
import { splitVocabulary } from './modelArtifacts';
import { alignVocabulariesCooperatively } from './vocabularyAlignment';
import type { ModelVersionStore } from './modelVersionStore';

/** A fusion version lists its components in params.components; a single model serves alone. */
export interface FusionParams {
  components: { versionId: number; kind: string; weight: number }[];
  strategy?: string;
}

export interface SwapHooks {
  prepare(model: ServingModel): Promise<void>;
  retire(model: ServingModel): void;
}

// Requests that picked up the old model keep a reference; give them time before freeing its buffers.
const DISPOSE_GRACE_MS = 30_000;

export class ActiveModel {
  private current: ServingModel | null = null;
  private loading: Promise<void> = Promise.resolve();
  private unsubscribe: (() => Promise<void>) | null = null;
  private readonly hooks: SwapHooks[] = [];

  constructor(
    private readonly versions: ModelVersionStore,
    private readonly pubsub: RedisPubSub,
    private readonly log: Logger,
  ) {}

  get(): ServingModel | null {
    return this.current;
  }

  get versionId(): number {
    return this.current?.versionId ?? 0;
  }

  /** `prepare` runs (awaited) before a model is served; `retire` after it stopped being served. */
  addSwapHooks(hooks: SwapHooks): void {
    this.hooks.push(hooks);
  }

  /** Loads the active version (if any) and follows every later publication. */
  async start(): Promise<void> {
    this.unsubscribe = await this.pubsub.on('model:published', ({ versionId }) => {
      void this.refresh(versionId);
    });
    await this.refresh();
  }

  /** Loads the active version from Postgres when it is not the one held (newer, or a rollback). Serialised. */
  refresh(hint?: number): Promise<void> {
    this.loading = this.loading.then(async () => {
      // Any other id than the one held may be a promotion or a rollback; Postgres says which is active.
      if (hint !== undefined && hint === this.versionId) return;
      try {
        const active = await this.versions.active();
        if (!active || active.id === this.versionId) return;
        // Timings per step go into the log: each synchronous step is time this process answers nothing else.
        const ms: Record<string, number> = {};
        const model = await this.load(active.id, active.kind, active.params, BigInt(String(active.dataWindow?.toEventId ?? 0)), ms);
        for (const h of this.hooks) {
          const started = performance.now();
          await h.prepare(model);
          ms[`prepare ${h.constructor.name}`] = Math.round(performance.now() - started);
        }
        const previous = this.current;
        this.current = model;
        this.log.info({ version: model.label, ms }, 'model swapped in');
        if (previous) {
          setTimeout(() => {
            for (const h of this.hooks) h.retire(previous);
            previous.dispose();
          }, DISPOSE_GRACE_MS).unref();
        }
      } catch (err) {
        // Keep serving the old version; the next publication or restart tries again.
        this.log.error({ err }, 'failed to load the active model version');
      }
    });
    return this.loading;
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    await this.loading;
    this.current?.dispose();
    this.current = null;
  }

  private async load(versionId: number, kind: string, params: Record<string, unknown>, trainedThrough: bigint, ms: Record<string, number>): Promise<ServingModel> {
    const parts: FusionParams['components'] =
      kind === 'fusion' ? (params as unknown as FusionParams).components : [{ versionId, kind, weight: 1 }];
    const components: ServingComponent[] = [];
    for (const p of parts) {
      let started = performance.now();
      const artifacts = await this.versions.artifacts(p.versionId);
      ms[`read ${p.kind}`] = Math.round(performance.now() - started);
      // Each component's load is one synchronous step: let requests waiting since the read go first.
      await nextTurn();
      started = performance.now();
      const { itemIds, model } = splitVocabulary(artifacts);
      components.push({ kind: p.kind, weight: p.weight, itemIds, model: loadRecommender(p.kind, model) });
      ms[`load ${p.kind}`] = Math.round(performance.now() - started);
    }
    const label = kind === 'fusion' ? `v${versionId} fusion(${parts.map((p) => p.kind).join('+')})` : `v${versionId} ${kind}`;
    const started = performance.now();
    const alignment = await alignVocabulariesCooperatively(components.map((c) => c.itemIds));
    ms.align = Math.round(performance.now() - started);
    return new ServingModel(versionId, label, components, trainedThrough, alignment);
  }
}
