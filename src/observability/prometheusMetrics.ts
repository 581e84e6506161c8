// This process's Prometheus metrics (prom-client), served at /metrics: HTTP and GraphQL latency histograms,
// events stored, pushes sent, queue depths and the model version served. One registry per Services object,
// not prom-client's global one, so several systems in one process (tests) never share series.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ActiveModel } from '../domain/models/activeModel';
import type { QueueSource } from '../domain/metrics/queueStatus';

const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const GAUGED_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

export interface PrometheusSources {
  queues: () => QueueSource[];
  activeModel: ActiveModel;
}

export class PrometheusMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly graphqlDuration: Histogram<'operation_type' | 'field' | 'outcome'>;
  readonly eventsStored: Counter<'type'>;
  readonly pushesSent: Counter;

  constructor(sources: PrometheusSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'freshrec_http_request_duration_seconds',
      help: 'HTTP requests by route (graphql, metrics, dashboard, health), method and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.graphqlDuration = new Histogram({
      name: 'freshrec_graphql_operation_duration_seconds',
      help: 'GraphQL operations over HTTP by root field; outcome is ok, client_error or server_error',
      labelNames: ['operation_type', 'field', 'outcome'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.eventsStored = new Counter({
      name: 'freshrec_events_ingested_total',
      help: 'Behaviour events stored (duplicates and rejected inputs excluded), by type',
      labelNames: ['type'],
      registers,
    });
    this.pushesSent = new Counter({
      name: 'freshrec_pushes_sent_total',
      help: 'Refreshed lists published to recommendationsUpdated subscribers by this process (worker role)',
      registers,
    });
    new Gauge({
      name: 'freshrec_queue_jobs',
      help: 'Jobs per queue and state (cluster-wide: read from Redis at scrape time)',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        await Promise.all(
          sources.queues().map(async (q) => {
            // Redis down: leave the queue out rather than fail the whole scrape (readiness reports the outage).
            const depth = await q.depth().catch(() => null);
            if (depth) for (const state of GAUGED_STATES) this.set({ queue: q.name, state }, depth[state]);
          }),
        );
      },
    });
    new Gauge({
      name: 'freshrec_model_version_info',
      help: 'The model version this process serves (value 1), labelled with its id and label',
      labelNames: ['version', 'label'],
      registers,
      collect() {
        this.reset();
        const model = sources.activeModel.get();
        if (model) this.set({ version: String(model.versionId), label: model.label }, 1);
      },
    });
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
