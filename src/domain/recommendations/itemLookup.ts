// Model indices of a list of item ids that is scored again and again (a cached text match's candidates, asked by
// every shopper who searches the same words): looked up once per list and model instead of once per request.
import type { ServingModel } from '../models/servingModel';
import { positionIn } from './candidateSet';

export interface ItemLookup {
  /** Model index of each id, -1 where the model does not know it. */
  indices: Int32Array;
  /** The known indices, ascending and unique: the candidates the model's components are read at. */
  known: Int32Array;
  /** Position in `known` of each id, -1 where unknown. */
  at: Int32Array;
}

export class ItemLookups {
  private readonly byList = new WeakMap<readonly string[], ItemLookup & { model: ServingModel; vocabulary: number }>();

  /** The lookup of `itemIds` in `model`; the caller must not modify the array afterwards. */
  of(model: ServingModel, itemIds: readonly string[]): ItemLookup {
    const hit = this.byList.get(itemIds);
    // A model's vocabulary grows when items are added: an id unknown before may be known now.
    if (hit && hit.model === model && hit.vocabulary === model.index.size) return hit;
    const indices = Int32Array.from(itemIds, (id) => model.index.get(id) ?? -1);
    const known = Int32Array.from(new Set(indices.filter((i) => i >= 0))).sort();
    const at = indices.map((i) => (i >= 0 ? positionIn(known, i) : -1));
    this.byList.set(itemIds, { indices, known, at, model, vocabulary: model.index.size });
    return { indices, known, at };
  }
}
