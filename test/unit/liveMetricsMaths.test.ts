// The pure parts of live metrics and experiments: latency buckets and their merged percentiles, window parsing,
// and the user-id hash that assigns experiment arms.
import { BUCKET_BOUNDS_MS, bucketOf, quantileOf } from '../../src/domain/metrics/latencyBuckets';
import { parseWindow } from '../../src/domain/metrics/metricsWindow';
import { assignArm, userBucket } from '../../src/domain/experiments/userBucketing';

describe('latency buckets', () => {
  it('puts a latency in the bucket whose bounds hold it', () => {
    for (const ms of [0, 0.1, 0.25, 0.3, 1, 7.3, 42, 999, 12345]) {
      const b = bucketOf(ms);
      expect(ms).toBeLessThanOrEqual(BUCKET_BOUNDS_MS[b]);
      if (b > 0) expect(ms).toBeGreaterThan(BUCKET_BOUNDS_MS[b - 1]);
    }
    expect(bucketOf(1e9)).toBe(BUCKET_BOUNDS_MS.length - 1);
  });

  it('reads percentiles from merged counts within a bucket width', () => {
    // Two processes' observations, merged by adding counts, as Redis does.
    const latencies = Array.from({ length: 1000 }, (_, i) => 1 + (i * 199) / 999); // 1..200 ms, uniform
    const counts = new Map<number, number>();
    for (const ms of latencies) counts.set(bucketOf(ms), (counts.get(bucketOf(ms)) ?? 0) + 1);
    for (const [q, exact] of [[0.5, 100.5], [0.95, 190.05], [0.99, 198.01]] as const) {
      const est = quantileOf(counts, q)!;
      expect(Math.abs(est - exact) / exact).toBeLessThan(0.125);
    }
    expect(quantileOf(new Map(), 0.5)).toBeNull();
  });
});

describe('metrics windows', () => {
  it('parses seconds, minutes and hours, with per-minute resolution beyond 10 minutes', () => {
    expect(parseWindow('30s')).toEqual({ label: '30s', seconds: 30, resolution: 1 });
    expect(parseWindow('5m')).toEqual({ label: '5m', seconds: 300, resolution: 1 });
    expect(parseWindow('1h')).toEqual({ label: '1h', seconds: 3600, resolution: 60 });
    expect(parseWindow(null)).toMatchObject({ seconds: 300 });
    for (const bad of ['5', '2d', '5s', '25h', 'soon', '-1m']) expect(() => parseWindow(bad)).toThrow(/window/);
  });
});

describe('experiment arm assignment', () => {
  it('is stable, follows the share, and reshuffles between experiments', () => {
    const users = Array.from({ length: 20000 }, (_, i) => `user-${i}`);
    expect(users.map((u) => assignArm('exp-1', u, 0.3))).toEqual(users.map((u) => assignArm('exp-1', u, 0.3)));
    const inB = users.filter((u) => assignArm('exp-1', u, 0.3) === 'B').length / users.length;
    expect(inB).toBeGreaterThan(0.28);
    expect(inB).toBeLessThan(0.32);
    // Growing the share only moves users from A to B, never back.
    expect(users.every((u) => assignArm('exp-1', u, 0.3) === 'A' || assignArm('exp-1', u, 0.5) === 'B')).toBe(true);
    const agree = users.filter((u) => (userBucket('exp-1', u) < 0.5) === (userBucket('exp-2', u) < 0.5)).length / users.length;
    expect(agree).toBeGreaterThan(0.47);
    expect(agree).toBeLessThan(0.53);
  });
});
