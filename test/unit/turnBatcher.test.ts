// TurnBatcher: entries handed in during one turn of the event loop are handled as one batch per key, each
// caller gets its own entry's result (or the batch's failure), a full batch is written at once, and a later turn
// starts a new batch.
import { TurnBatcher } from '../../src/async/turnBatcher';

function recorder(fail: (entries: number[]) => boolean = () => false) {
  const batches: { key: string; entries: number[] }[] = [];
  const commit = new TurnBatcher<number, string, string>(async (entries, key) => {
    batches.push({ key, entries: [...entries] });
    if (fail(entries)) throw new Error(`batch ${entries.join(',')} failed`);
    return entries.map((e) => `${key}:${e * 10}`);
  }, 3);
  return { batches, commit };
}

describe('TurnBatcher', () => {
  it('writes one turn’s entries as one batch per key and answers each caller with its own result', async () => {
    const { batches, commit } = recorder();
    const results = await Promise.all([commit.add(1, 'a'), commit.add(2, 'b'), commit.add(3, 'a')]);
    expect(results).toEqual(['a:10', 'b:20', 'a:30']);
    expect(batches).toEqual([
      { key: 'a', entries: [1, 3] },
      { key: 'b', entries: [2] },
    ]);
  });

  it('writes a full batch at once and starts a new one for the next turn', async () => {
    const { batches, commit } = recorder();
    const first = [1, 2, 3, 4].map((e) => commit.add(e, 'k'));
    // The full batch was handed over without waiting for the end of the turn.
    expect(batches).toEqual([{ key: 'k', entries: [1, 2, 3] }]);
    expect(await Promise.all(first)).toEqual(['k:10', 'k:20', 'k:30', 'k:40']);
    await commit.add(5, 'k');
    expect(batches.map((b) => b.entries)).toEqual([[1, 2, 3], [4], [5]]);
  });

  it('fails every caller of a failed batch and no one else', async () => {
    const { commit } = recorder((entries) => entries.includes(2));
    const settled = await Promise.allSettled([commit.add(1, 'x'), commit.add(2, 'x'), commit.add(3, 'y')]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((settled[0] as PromiseRejectedResult).reason.message).toBe('batch 1,2 failed');
  });

  it('fails the callers when the handler throws before returning a promise', async () => {
    const commit = new TurnBatcher<number, number, null>(() => {
      throw new Error('not connected');
    }, 10);
    await expect(commit.add(1, null)).rejects.toThrow('not connected');
  });
});
