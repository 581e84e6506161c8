// ItemLookups: a list's model indices are looked up once per list and model, and again once the model's
// vocabulary has grown (an item unknown before may be known now).
import { ItemLookups } from '../../src/domain/recommendations/itemLookup';
import type { ServingModel } from '../../src/domain/models/servingModel';

function modelOf(ids: string[]): ServingModel {
  return { index: new Map(ids.map((id, i) => [id, i])) } as unknown as ServingModel;
}

describe('ItemLookups', () => {
  it('maps ids to indices, the known ones ascending and unique, and each id to its position among them', () => {
    const lookup = new ItemLookups().of(modelOf(['a', 'b', 'c', 'd']), ['d', 'x', 'b', 'd']);
    expect(Array.from(lookup.indices)).toEqual([3, -1, 1, 3]);
    expect(Array.from(lookup.known)).toEqual([1, 3]);
    expect(Array.from(lookup.at)).toEqual([1, -1, 0, 1]);
  });

  it('reuses a list’s lookup for the same model, and redoes it for another model or a grown vocabulary', () => {
    const lookups = new ItemLookups();
    const model = modelOf(['a', 'b']);
    const ids = ['b', 'new'];
    const first = lookups.of(model, ids);
    expect(lookups.of(model, ids).indices).toBe(first.indices);
    model.index.set('new', 2);
    expect(Array.from(lookups.of(model, ids).indices)).toEqual([1, 2]);
    expect(Array.from(lookups.of(modelOf(['b']), ids).indices)).toEqual([0, -1]);
  });
});
