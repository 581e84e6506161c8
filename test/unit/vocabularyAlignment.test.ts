// The union vocabulary and index maps of a model's components: the sliced alignment a swap runs gives exactly
// what the one-step alignment gives, on vocabularies long enough to be cut into many slices.
import { alignVocabularies, alignVocabulariesCooperatively } from '../../src/domain/models/vocabularyAlignment';

const ids = (from: number, to: number, prefix = 'i') => Array.from({ length: to - from }, (_, k) => `${prefix}${from + k}`);

describe('vocabulary alignment', () => {
  // A shared vocabulary, one shifted and shorter, one with items of its own, one with a duplicate id.
  const shared = ids(0, 12_000);
  const vocabularies = [shared, shared.slice(), ids(5_000, 9_000).reverse(), [...ids(0, 3), ...ids(0, 2_000, 'new-')], ['i7', 'i3', 'i7']];

  it('maps every component item to its union position and back', () => {
    const { union, index, components } = alignVocabularies(vocabularies);
    expect(union).toEqual([...shared, ...ids(0, 2_000, 'new-')]);
    expect(union.every((id, u) => index.get(id) === u)).toBe(true);
    vocabularies.forEach((vocab, k) => {
      const { toLocal, toUnion } = components[k];
      expect(Array.from(toUnion!, (u) => union[u])).toEqual(vocab);
      // A duplicated id maps to its last position; an item the component lacks to -1.
      const last = new Map(vocab.map((id, j) => [id, j]));
      expect(Array.from(toLocal!)).toEqual(union.map((id) => last.get(id) ?? -1));
    });
  });

  it('gives identity maps (null) to a component whose vocabulary is the union', () => {
    const { components } = alignVocabularies([shared, shared.slice(), ids(0, 10)]);
    expect(components.map((c) => c.toLocal === null && c.toUnion === null)).toEqual([true, true, false]);
  });

  it('gives the same result sliced as at once', async () => {
    const sliced = await alignVocabulariesCooperatively(vocabularies);
    const once = alignVocabularies(vocabularies);
    expect(sliced.union).toEqual(once.union);
    expect([...sliced.index]).toEqual([...once.index]);
    expect(sliced.components).toEqual(once.components);
  });
});
