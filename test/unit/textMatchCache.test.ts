// The text-match cache in front of a matcher over a small in-memory word index: repeated and shallower asks are
// answered from memory with exactly what the matcher would say, deeper ones reach the matcher, and clear() forgets.
import { TextMatchCache } from '../../src/domain/search/textMatchCache';
import type { TextMatches, TextMatching } from '../../src/domain/search/textMatch';
import type { ItemFilter } from '../../src/domain/recommendations/catalogIndex';
import type { ItemRecord } from '../../src/domain/items/itemService';

function item(id: string, title: string, price: number): ItemRecord {
  return { id, title, description: null, category: 'Kitchen', brand: 'Acme', tags: [], price, inStock: true, properties: null, createdAt: new Date(0), updatedAt: new Date(0) };
}

/** Matches titles holding every query word; relevance falls with the id's number, so the order is total. */
class WordMatcher implements TextMatching {
  calls: { query: string; candidates: number }[] = [];
  constructor(public items: ItemRecord[]) {}
  async match(query: string, filter: ItemFilter | null, candidates: number): Promise<TextMatches> {
    this.calls.push({ query, candidates });
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const found = this.items.filter((i) => words.every((w) => i.title.toLowerCase().split(' ').includes(w)) && (filter?.maxPrice == null || (i.price ?? 0) <= filter.maxPrice));
    const ranked = found.map((i) => ({ item: i, relevance: 1 / Number(i.id.slice(1)) })).sort((a, b) => b.relevance - a.relevance);
    return { total: found.length, categories: [{ value: 'Kitchen', count: found.length }], brands: [], candidates: ranked.slice(0, candidates), fuzzy: false, correctedQuery: null };
  }
}

const catalogue = Array.from({ length: 30 }, (_, k) => item(`i${k + 1}`, k % 3 === 0 ? 'steel kettle' : 'oak spoon', 10 * (k + 1)));

describe('TextMatchCache', () => {
  it('answers a repeated query, however spelt in case and spaces, from memory with what the matcher said', async () => {
    const inner = new WordMatcher(catalogue);
    const cache = new TextMatchCache(inner);
    const first = await cache.match('steel kettle', null, 5, []);
    const again = await cache.match('  Steel   KETTLE ', null, 5, []);
    expect(again).toEqual(first);
    expect(inner.calls).toHaveLength(1);
  });

  it('serves a shallower ask from a deeper answer as the matcher would answer it, and asks again for a deeper one', async () => {
    const inner = new WordMatcher(catalogue);
    const cache = new TextMatchCache(inner);
    await cache.match('oak spoon', null, 100, []);
    const page = await cache.match('oak spoon', null, 5, []);
    expect(page).toEqual(await new WordMatcher(catalogue).match('oak spoon', null, 5));
    expect(inner.calls).toHaveLength(1);

    await cache.match('steel', null, 3, []);
    const deeper = await cache.match('steel', null, 8, []);
    expect(deeper.candidates.map((c) => c.item.id)).toEqual(['i1', 'i4', 'i7', 'i10', 'i13', 'i16', 'i19', 'i22']);
    expect(inner.calls.map((c) => c.candidates)).toEqual([100, 3, 8]);
  });

  it('answers any depth from an answer that already held every match', async () => {
    const inner = new WordMatcher(catalogue);
    const cache = new TextMatchCache(inner);
    const all = await cache.match('kettle', { maxPrice: 100 }, 20, []);
    expect(all.total).toBe(4);
    expect((await cache.match('kettle', { maxPrice: 100 }, 50, [])).candidates).toHaveLength(4);
    expect(inner.calls).toHaveLength(1);
  });

  it('keeps filters and pins apart, and forgets everything on clear()', async () => {
    const inner = new WordMatcher(catalogue);
    const cache = new TextMatchCache(inner);
    const cheap = await cache.match('kettle', { maxPrice: 50 }, 20, []);
    const any = await cache.match('kettle', null, 20, []);
    expect(cheap.total).toBeLessThan(any.total);
    await cache.match('kettle', null, 20, ['i4']);
    expect(inner.calls).toHaveLength(3);
    inner.items = catalogue.slice(0, 3);
    cache.clear();
    expect((await cache.match('kettle', null, 20, [])).total).toBe(1);
  });

  it('does not keep a failure', async () => {
    let fail = true;
    const inner: TextMatching = { match: async () => (fail ? Promise.reject(new Error('down')) : new WordMatcher(catalogue).match('oak', null, 2)) };
    const cache = new TextMatchCache(inner);
    await expect(cache.match('oak', null, 2, [])).rejects.toThrow('down');
    fail = false;
    expect((await cache.match('oak', null, 2, [])).candidates).toHaveLength(2);
  });
});
