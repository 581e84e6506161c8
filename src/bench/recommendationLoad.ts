// `recommendations` throughput and latency at several client concurrencies, repeated, medians quoted:
// the query path a storefront calls on every page view.
import { createRng, randInt } from '../ml/random';
import { runLoad, shopperAddress, type LoadRun } from './httpLoad';
import type { SystemProcess } from './systemProcesses';
import { median, progress } from './stats';

export interface ConcurrencyResult {
  connections: number;
  runs: LoadRun[];
  medianRequestsPerSecond: number;
  medianP50Ms: number;
  medianP99Ms: number;
  errors: number;
}

const QUERY = `query($u: ID!) { recommendations(userId: $u, limit: 10) { recommId modelVersion items { score item { id title category price } reasons { source weight } } } }`;

export async function benchmarkRecommendations(opts: {
  api: SystemProcess;
  clientKey: string;
  users: string[];
  connections: number[];
  seconds: number;
  repeats: number;
  measured: SystemProcess[];
}): Promise<ConcurrencyResult[]> {
  const rng = createRng(3);
  const nextRequest = () => {
    const k = randInt(rng, opts.users.length);
    return { body: JSON.stringify({ query: QUERY, variables: { u: opts.users[k] } }), headers: { 'x-forwarded-for': shopperAddress(k) } };
  };
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${opts.clientKey}` };
  // Warm-up: JIT, connection pools and per-user Redis reads, so the first measured run is not the cold one.
  await runLoad({ url: opts.api.url, connections: 8, seconds: Math.min(5, opts.seconds), headers, nextRequest });
  const results: ConcurrencyResult[] = [];
  for (const connections of opts.connections) {
    const runs: LoadRun[] = [];
    for (let r = 0; r < opts.repeats; r++) {
      const run = await runLoad({ url: opts.api.url, connections, seconds: opts.seconds, headers, nextRequest, measured: opts.measured });
      runs.push(run);
      progress(`recommendations, ${connections} clients, run ${r + 1}/${opts.repeats}: ${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.latencyP50Ms} ms, p99 ${run.latencyP99Ms} ms, errors ${run.errors}`);
    }
    results.push({
      connections,
      runs,
      medianRequestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
      medianP50Ms: median(runs.map((r) => r.latencyP50Ms)),
      medianP99Ms: median(runs.map((r) => r.latencyP99Ms)),
      errors: runs.reduce((a, r) => a + r.errors, 0),
    });
  }
  return results;
}
