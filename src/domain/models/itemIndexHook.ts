// Builds the approximate item index of each embedding component (mf, seq) of a model about to be served, when its
// catalogue has at least ANN_MIN_ITEMS items: in the swap's prepare step, so requests keep going to the old model
// while it is built (the build yields to the event loop between chunks), never on a request.
import type { Logger } from '../../logger';
import { embeddingSource } from '../../ml/ann/embeddingSource';
import { buildItemVectorIndex } from '../../ml/ann/itemVectorIndex';
import type { SwapHooks } from './activeModel';
import type { ServingModel } from './servingModel';

// User vectors the index's probes are calibrated on (recall@10 ≥ 0.9 against exact search).
const CALIBRATION_QUERIES = 64;

export class ItemIndexHook implements SwapHooks {
  constructor(
    /** Components with at least this many items get an index; 0 = never. */
    private readonly minItems: number,
    private readonly log?: Logger,
    /** ANN_ENGINE: the pure-TypeScript IVF, or hnswlib-node where it is installed (IVF where it is not). */
    private readonly engine: 'ivf' | 'hnsw' = 'ivf',
  ) {}

  async prepare(model: ServingModel): Promise<void> {
    if (this.minItems <= 0) return;
    for (const c of model.components) {
      // Checked before embeddingSource, which reads seq's item bias back by scoring: time a swap need not spend.
      if (c.itemIds.length < this.minItems) continue;
      const source = embeddingSource(c.model);
      if (!source || source.numItems < this.minItems) continue;
      const started = performance.now();
      try {
        const index = await buildItemVectorIndex(source.table(), {
          annMinItems: this.minItems,
          engine: this.engine,
          calibrationQueries: source.sampleQueries(CALIBRATION_QUERIES) ?? undefined,
        });
        model.useItemIndex(c.kind, source, index);
        const seconds = Math.round(performance.now() - started) / 1000;
        this.log?.info({ version: model.label, component: c.kind, items: source.numItems, index: index.describe(), seconds }, 'approximate item index built');
      } catch (err) {
        // The component is then scored exactly over every item, as below the threshold: slower, still correct.
        this.log?.error({ err, version: model.label, component: c.kind }, 'approximate item index failed; scoring exactly');
      }
    }
  }

  retire(): void {
    // The index belongs to its ServingModel and goes with it (ServingModel.dispose).
  }
}
