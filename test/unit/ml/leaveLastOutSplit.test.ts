import { historyOf } from '../../../src/ml/interactions';
import { leaveLastOutSplit } from '../../../src/ml/evaluation/leaveLastOutSplit';
import { parseEventsCsv } from '../../../src/ml/evaluation/eventsCsv';

describe('leaveLastOutSplit', () => {
  // u1: 4 events, the last two share a timestamp (file order decides); u2: 2 events (train-only); u3: exactly 3.
  const data = parseEventsCsv(
    ['user_id,item_id,timestamp', 'u1,a,1', 'u1,b,2', 'u2,a,5', 'u1,c,3', 'u1,d,3', 'u2,b,6', 'u3,c,1', 'u3,a,2', 'u3,b,3'].join('\n'),
  );
  const split = leaveLastOutSplit(data);
  const names = (ids: ArrayLike<number>, vocab: string[]) => Array.from(ids, (i) => vocab[i]);

  it('takes the last event as test target and the one before as validation target', () => {
    expect(names(split.test.users, data.userIds)).toEqual(['u1', 'u3']);
    expect(names(split.test.targets, data.itemIds)).toEqual(['d', 'b']);
    expect(names(split.validation.users, data.userIds)).toEqual(['u1', 'u3']);
    expect(names(split.validation.targets, data.itemIds)).toEqual(['c', 'a']);
    expect(Array.from(split.test.times)).toEqual([3, 3]);
  });

  it('removes the targets from the training sets and keeps train-only users whole', () => {
    const u = (id: string) => data.userIds.indexOf(id);
    const itemsOf = (train: typeof data, id: string) => names(historyOf(train, u(id)).items, data.itemIds);
    expect(itemsOf(split.testTrain, 'u1')).toEqual(['a', 'b', 'c']);
    expect(itemsOf(split.validationTrain, 'u1')).toEqual(['a', 'b']);
    expect(itemsOf(split.testTrain, 'u2')).toEqual(['a', 'b']);
    expect(itemsOf(split.validationTrain, 'u2')).toEqual(['a', 'b']);
    expect(itemsOf(split.testTrain, 'u3')).toEqual(['c', 'a']);
    expect(itemsOf(split.validationTrain, 'u3')).toEqual(['c']);
    expect(split.testTrain.items.length).toBe(data.items.length - 2);
    expect(split.validationTrain.items.length).toBe(data.items.length - 4);
  });

  it('keeps the vocabularies so indices agree everywhere', () => {
    for (const part of [split.testTrain, split.validationTrain]) {
      expect(part.userIds).toBe(data.userIds);
      expect(part.itemIds).toBe(data.itemIds);
      expect(part.userOffsets.length).toBe(data.userIds.length + 1);
      for (let r = 0; r < part.users.length; r++) {
        expect(r).toBeGreaterThanOrEqual(part.userOffsets[part.users[r]]);
        expect(r).toBeLessThan(part.userOffsets[part.users[r] + 1]);
      }
    }
  });
});
