// What a stored version serves: its component list (a fusion lists them in params; a single model is its
// own only component) and, on demand, those components loaded from their artefacts. Retraining reuses
// components it does not refit, and scores the active version, through this.
import { loadRecommender } from '../../ml/models/registry';
import type { FusionParams } from './activeModel';
import type { ModelVersionRecord, ModelVersionStore } from './modelVersionStore';
import { splitVocabulary } from './modelArtifacts';
import type { ServingComponent } from './servingModel';
import { fusionSpecOf, type FusionSpec } from './fusionStrategy';

export type ComponentRef = FusionParams['components'][number];

/** A version's fusion spec (strategy, RRF k) and components; a single model is a weighted fusion of itself. */
export interface VersionServing extends FusionSpec {
  refs: ComponentRef[];
}

export function servingOf(version: Pick<ModelVersionRecord, 'id' | 'kind' | 'params'>): VersionServing {
  if (version.kind !== 'fusion') return { strategy: 'weighted', refs: [{ versionId: version.id, kind: version.kind, weight: 1 }] };
  const params = version.params as unknown as Partial<FusionParams>;
  return { ...fusionSpecOf(version.params), refs: Array.isArray(params.components) ? params.components : [] };
}

/** Loads one component version's model and vocabulary; the caller disposes the model. */
export async function loadComponent(versions: ModelVersionStore, ref: ComponentRef): Promise<ServingComponent> {
  const { itemIds, model } = splitVocabulary(await versions.artifacts(ref.versionId));
  return { kind: ref.kind, weight: ref.weight, itemIds, model: loadRecommender(ref.kind, model) };
}

/** Loads every component a version serves (not yet strategy-wrapped); disposes what it loaded on failure. */
export async function loadComponents(versions: ModelVersionStore, refs: ComponentRef[]): Promise<ServingComponent[]> {
  const loaded: ServingComponent[] = [];
  try {
    for (const ref of refs) loaded.push(await loadComponent(versions, ref));
    return loaded;
  } catch (err) {
    for (const c of loaded) c.model.dispose();
    throw err;
  }
}
