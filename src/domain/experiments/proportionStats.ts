// Statistics for comparing two arms' rates (click-through, conversion): a Wilson score interval per arm and a
// two-proportion z-test between them. Pure functions; each served list is one Bernoulli trial.

/** z for a two-sided 95% interval. */
export const Z_95 = 1.959963984540054;

export interface ProportionEstimate {
  successes: number;
  trials: number;
  rate: number;
  /** Wilson score interval (95%): unlike rate ± z·se it stays inside 0..1 and behaves at 0 successes. */
  low: number;
  high: number;
}

export interface SignificanceTest {
  /** Arm B's rate minus arm A's. */
  difference: number;
  /** 95% interval of the difference (unpooled standard error). */
  differenceLow: number;
  differenceHigh: number;
  /** difference / arm A's rate, or null when arm A's rate is 0. */
  relativeLift: number | null;
  z: number;
  /** Two-sided p-value of "both arms have the same rate" (pooled standard error). */
  pValue: number;
  significant: boolean;
}

export function estimateProportion(successes: number, trials: number, z = Z_95): ProportionEstimate {
  if (trials <= 0) return { successes: 0, trials: 0, rate: 0, low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { successes, trials, rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Pooled two-proportion z-test of B against A. Returns null while either arm has no trials; with fewer than
 * about 5 successes and 5 failures per arm the normal approximation is rough, which the caller should show.
 */
export function twoProportionTest(a: { successes: number; trials: number }, b: { successes: number; trials: number }, alpha = 0.05): SignificanceTest | null {
  if (a.trials <= 0 || b.trials <= 0) return null;
  const pa = a.successes / a.trials;
  const pb = b.successes / b.trials;
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  const difference = pb - pa;
  // Both arms all-success or all-failure: no variance, no evidence of a difference.
  const z = sePooled > 0 ? difference / sePooled : 0;
  const pValue = sePooled > 0 ? 2 * (1 - normalCdf(Math.abs(z))) : 1;
  const seDiff = Math.sqrt((pa * (1 - pa)) / a.trials + (pb * (1 - pb)) / b.trials);
  return {
    difference,
    differenceLow: difference - Z_95 * seDiff,
    differenceHigh: difference + Z_95 * seDiff,
    relativeLift: pa > 0 ? difference / pa : null,
    z,
    pValue: Math.min(1, Math.max(0, pValue)),
    significant: pValue < alpha,
  };
}

/** Standard normal CDF through erf (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7). */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-ax * ax));
}
