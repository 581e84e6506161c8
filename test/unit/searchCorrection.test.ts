// How a fuzzy search names its correction, and the shapes of the match statement (filters that are set become
// conditions; the same shape always gets the same statement name, different shapes different ones).
import { correctionShown } from '../../src/domain/search/queryCorrection';
import { matchStatement } from '../../src/domain/search/textMatchSql';
import type { ItemRecord } from '../../src/domain/items/itemService';

function item(title: string, description: string | null = null): ItemRecord {
  return { id: 'x', title, description, category: 'Kitchen', brand: 'Acme', tags: [], price: 1, inStock: true, properties: null, createdAt: new Date(0), updatedAt: new Date(0) };
}

describe('correctionShown', () => {
  it('names the alternative the best match holds, not merely the most similar one', () => {
    expect(correctionShown([['wireless'], ['kif', 'knife', 'ki']], item('Wireless rubber knife kx5'))).toEqual(['wireless', 'knife']);
  });

  it('accepts a word the item holds in a longer (stemmed) form, and falls back to the most similar one', () => {
    expect(correctionShown([['boot', 'bolt']], item('Trail Boots'))).toEqual(['boot']);
    expect(correctionShown([['kif', 'knife']], item('Something else'))).toEqual(['kif']);
    expect(correctionShown([['kif', 'knife']], undefined)).toEqual(['kif']);
  });
});

describe('matchStatement', () => {
  const base = { words: ['steel', 'kettle'], raw: 'steel kettle', limit: 20, pinnedIds: [] };

  it('adds only the filters that are set, as parameters', () => {
    const plain = matchStatement({ ...base, filter: null });
    const priced = matchStatement({ ...base, filter: { maxPrice: 100, categories: ['Kitchen'] } });
    expect(plain.text).not.toContain('i.price <=');
    expect(priced.text).toContain('i.price <=');
    expect(priced.text).toContain('i.category = ANY(');
    expect(priced.values).toEqual(expect.arrayContaining([100, ['Kitchen']]));
    expect(plain.name).not.toBe(priced.name);
  });

  it('gives one shape one statement name whatever the words', () => {
    const a = matchStatement({ ...base, filter: { maxPrice: 100 } });
    const b = matchStatement({ ...base, words: ['oak', 'desk'], raw: 'oak desk', filter: { maxPrice: 250 } });
    expect(a.name).toBe(b.name);
    expect(a.text).toBe(b.text);
  });
});
