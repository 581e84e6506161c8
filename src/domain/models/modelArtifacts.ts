// How a model version's artefacts are laid out: the component's own bytes plus the item vocabulary
// it was trained on, stored under one reserved name.
import type { ModelArtifacts } from '../../ml/recommender';

const VOCAB = '__vocab.json';

export function withVocabulary(artifacts: ModelArtifacts, itemIds: string[]): ModelArtifacts {
  return { ...artifacts, [VOCAB]: new TextEncoder().encode(JSON.stringify(itemIds)) };
}

export function splitVocabulary(artifacts: ModelArtifacts): { itemIds: string[]; model: ModelArtifacts } {
  const { [VOCAB]: vocab, ...model } = artifacts;
  if (!vocab) throw new Error('model version has no item vocabulary artefact');
  return { itemIds: JSON.parse(new TextDecoder().decode(vocab)) as string[], model };
}
