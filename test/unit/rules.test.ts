import { validateRules } from '../../src/domain/rules/rule';
import { RuleSet, ruleMatches } from '../../src/domain/rules/ruleSet';

const item = { id: 'i1', category: 'shoes', brand: 'acme', tags: ['sale', 'summer'], price: 20 };

describe('merchandising rules', () => {
  it('matches when every condition holds; lists match on any entry', () => {
    const [rule] = validateRules([{ action: 'BOOST', factor: 2, categories: ['shoes', 'bags'], tags: ['sale'], minPrice: 10, maxPrice: 30 }]);
    expect(ruleMatches(rule, item)).toBe(true);
    expect(ruleMatches(rule, { ...item, price: 40 })).toBe(false);
    expect(ruleMatches(rule, { ...item, price: null })).toBe(false);
    expect(ruleMatches(rule, { ...item, tags: [] })).toBe(false);
  });

  it('multiplies the factors of matching rules on their surfaces only', () => {
    const rules = validateRules([
      { action: 'BOOST', factor: 3, brands: ['acme'] },
      { action: 'BURY', factor: 0.5, categories: ['shoes'], surfaces: ['SEARCH'] },
    ]);
    const set = new RuleSet(rules, 1);
    expect(set.multiplierFor(item, 'RECOMMENDATIONS')).toBe(3);
    expect(set.multiplierFor(item, 'SEARCH')).toBe(1.5);
    expect(set.scores('TRENDING')).toBe(true);
  });

  it('lays pins out from their positions without collisions', () => {
    const set = new RuleSet(
      validateRules([
        { action: 'PIN', itemIds: ['a', 'b'], position: 1 },
        { action: 'PIN', itemIds: ['c', 'a'], position: 2 },
        { action: 'PIN', itemIds: ['d'], position: 5, surfaces: ['SEARCH'] },
      ]),
      1,
    );
    expect(set.pins('RECOMMENDATIONS').map((p) => [p.itemId, p.slot])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
    expect(set.pins('SEARCH').map((p) => p.itemId)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rejects a bad rule with a message naming it', () => {
    expect(() => validateRules([{ action: 'PIN', itemIds: [], position: 1 }])).toThrow('rules[0]: a PIN rule needs itemIds');
    expect(() => validateRules([{ action: 'BOOST', factor: 2, surfaces: ['EVERYWHERE'], tags: ['x'] }])).toThrow(/rules\[0\]\.surfaces\[0\] must be one of/);
    expect(() => validateRules([{ action: 'BURY', factor: 1, tags: ['x'] }])).toThrow('rules[0].factor of a BURY rule must be at least 0 and less than 1');
    expect(() => validateRules([{ action: 'PIN', itemIds: ['a'], position: 1, factor: 2 }])).toThrow('rules[0]: a PIN rule takes no factor');
  });
});
