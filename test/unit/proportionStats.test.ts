// The A/B statistics against values computed by hand (and by R's prop.test without continuity correction).
import { estimateProportion, normalCdf, twoProportionTest } from '../../src/domain/experiments/proportionStats';

describe('proportion statistics', () => {
  it('computes the standard normal CDF', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 6);
  });

  it('gives Wilson intervals that stay inside 0..1', () => {
    const none = estimateProportion(0, 10);
    expect(none.rate).toBe(0);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(0.2775, 4);
    const half = estimateProportion(50, 100);
    expect(half.low).toBeCloseTo(0.4038, 4);
    expect(half.high).toBeCloseTo(0.5962, 4);
    const all = estimateProportion(10, 10);
    expect(all.high).toBeCloseTo(1, 12);
    expect(all.low).toBeCloseTo(0.7225, 4);
    expect(estimateProportion(0, 0)).toEqual({ successes: 0, trials: 0, rate: 0, low: 0, high: 1 });
  });

  it('runs a pooled two-proportion z-test of B against A', () => {
    // 100/1000 against 130/1000: pooled rate 0.115, z = 2.10274, two-sided p = 0.03549 (prop.test(correct = FALSE): X² = z²).
    const t = twoProportionTest({ successes: 100, trials: 1000 }, { successes: 130, trials: 1000 })!;
    expect(t.difference).toBeCloseTo(0.03, 10);
    expect(t.z).toBeCloseTo(2.10274, 4);
    expect(t.pValue).toBeCloseTo(0.03549, 4);
    expect(t.significant).toBe(true);
    expect(t.relativeLift).toBeCloseTo(0.3, 10);
    expect(t.differenceLow).toBeGreaterThan(0);
    const same = twoProportionTest({ successes: 10, trials: 100 }, { successes: 12, trials: 100 })!;
    expect(same.significant).toBe(false);
    expect(twoProportionTest({ successes: 0, trials: 0 }, { successes: 1, trials: 2 })).toBeNull();
    // No variance at all: no evidence either way.
    expect(twoProportionTest({ successes: 0, trials: 50 }, { successes: 0, trials: 50 })).toMatchObject({ z: 0, pValue: 1, significant: false, relativeLift: null });
  });
});
