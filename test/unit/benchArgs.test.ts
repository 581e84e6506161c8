// The benchmark's command line (settings for the child processes, CPU profiles, a clear error for a malformed
// setting) and the search figures it reads off searchBench.ts's report.
import path from 'node:path';
import { parseBenchArgs, UsageError } from '../../src/bench/benchArgs';
import { searchFigures } from '../../src/bench/searchLatency';

describe('parseBenchArgs', () => {
  it('passes repeated --env settings to the child processes, and resolves --cpu-prof', () => {
    const args = parseBenchArgs(['--env', 'WORKER_NICE=0', '--env', 'CANDIDATES_PER_MODEL=a=b', '--cpu-prof', 'prof']);
    expect(args.childEnv).toEqual({ WORKER_NICE: '0', CANDIDATES_PER_MODEL: 'a=b' });
    expect(args.cpuProfileDir).toBe(path.resolve('prof'));
    expect(parseBenchArgs([]).childEnv).toEqual({});
  });

  it('refuses a setting without KEY=', () => {
    expect(() => parseBenchArgs(['--env', 'WORKER_NICE'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--env', '=0'])).toThrow(/KEY=VALUE/);
  });
});

describe('searchFigures', () => {
  it("reads the p99 and the rate off searchBench's report, and null when they are missing", () => {
    const report = 'requests 47230, 4723 req/s, errors 0, timeouts 0, non-2xx 0\nlatency ms: p50 3 p90 7 p99 14 max 154\n';
    expect(searchFigures(report)).toEqual({ p99Ms: 14, requestsPerSecond: 4723 });
    expect(searchFigures('Error: cannot connect')).toEqual({ p99Ms: null, requestsPerSecond: null });
  });
});
