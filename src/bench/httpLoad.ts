// Closed-loop HTTP load with autocannon against the API on loopback: N connections, each sending its next
// request when the last one answered, for a bounded time; a fresh body per request (user, event id).
import autocannon from 'autocannon';
import type { SystemProcess } from './systemProcesses';

export interface LoadRun {
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMeanMs: number;
  /** Socket errors and timeouts, non-2xx answers, and 2xx answers carrying GraphQL errors. */
  errors: number;
  /** CPU seconds each measured process used during the run. */
  cpuSeconds: Record<string, number>;
}

export interface LoadSpec {
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  /** The next request: its body and extra headers (e.g. the shopper's forwarded address). */
  nextRequest: () => { body: string; headers?: Record<string, string> };
  /** Sees every answer; returns false when the answer is a failure. */
  onAnswer?: (status: number, body: string) => boolean;
  /** Processes whose CPU time is recorded across the run. */
  measured?: SystemProcess[];
}

/** A shopper's address as a load balancer would forward it: bot checks count events per address. */
export function shopperAddress(k: number): string {
  return `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
}

export async function runLoad(spec: LoadSpec): Promise<LoadRun> {
  let failures = 0;
  const cpuBefore = new Map((spec.measured ?? []).map((p) => [p.role + p.pid, p.cpuSeconds()]));
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    // A request stuck this long counts as an error instead of stalling the run.
    timeout: 10,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const next = spec.nextRequest();
          return { ...req, body: next.body, headers: { ...spec.headers, ...next.headers } };
        },
        onResponse: (status, body) => {
          const ok = spec.onAnswer ? spec.onAnswer(status, body) : status === 200 && !body.startsWith('{"errors"');
          if (!ok && status === 200) failures++;
        },
      },
    ],
  });
  const cpuSeconds: Record<string, number> = {};
  for (const p of spec.measured ?? []) {
    const key = `${p.role}:${p.pid}`;
    cpuSeconds[key] = p.cpuSeconds() - (cpuBefore.get(p.role + p.pid) ?? 0);
  }
  return {
    connections: spec.connections,
    seconds: result.duration,
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMeanMs: result.latency.mean,
    errors: result.errors + result.non2xx + failures,
    cpuSeconds,
  };
}
