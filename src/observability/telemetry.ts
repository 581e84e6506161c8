// The one place the request and event paths report to: each observation goes both to this process's
// Prometheus metrics and to the cluster-wide live counters in Redis the dashboard reads.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { LiveCounters, type Outcome } from '../domain/metrics/liveCounters';
import type { Logger } from '../logger';
import type { KeySpace, Redis } from '../redis/redisConnections';
import { PrometheusMetrics, type PrometheusSources } from './prometheusMetrics';

export type { Outcome };

export class Telemetry {
  constructor(
    readonly prometheus: PrometheusMetrics,
    readonly live: LiveCounters,
  ) {}

  eventsStored(type: string, n = 1): void {
    this.prometheus.eventsStored.inc({ type }, n);
    this.live.eventsStored(type, n);
  }

  pushSent(): void {
    this.prometheus.pushesSent.inc();
    this.live.pushSent();
  }

  /** One GraphQL root field served: `operation` is the dashboard's grouping (recommend, search, track, …). */
  graphqlField(operationType: string, field: string, operation: string, seconds: number, outcome: Outcome): void {
    this.prometheus.graphqlDuration.observe({ operation_type: operationType, field, outcome }, seconds);
    this.live.operation(operation, seconds * 1000, outcome);
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.prometheus.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }
}

/**
 * The telemetry of one Services object: its Prometheus registry (or the process's, `shared`, for a further tenant)
 * and its writer of the cluster's live counters.
 */
export function createTelemetry(deps: { redis: Redis; keys: KeySpace; log: Logger } & PrometheusSources, shared?: PrometheusMetrics): Telemetry {
  // Unique per Services object: tests run several systems in one process, and pids repeat across hosts.
  const processId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  return new Telemetry(shared ?? new PrometheusMetrics(deps), new LiveCounters(deps.redis, deps.keys, processId, deps.log));
}
