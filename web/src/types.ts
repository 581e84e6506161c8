// The shapes the dashboard reads from the API (a subset of schema.graphql).

export interface EventRate {
  type: string;
  count: number;
  perSecond: number;
  current: number;
}

export interface OperationMetrics {
  operation: string;
  requests: number;
  perSecond: number;
  serverErrors: number;
  clientErrors: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface MetricsPoint {
  at: string;
  events: number;
  byType: { type: string; count: number }[];
  requests: number;
  errors: number;
  pushes: number;
}

export interface QualityRow {
  key: string;
  impressions: number;
  clicks: number;
  conversions: number;
  ctr: number;
  conversionRate: number;
}

export interface FailedJob {
  id: string;
  name: string;
  reason: string | null;
  attempts: number;
  failedAt: string | null;
}

export interface QueueDepth {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  failedJobs?: FailedJob[] | null;
}

export interface SystemMetrics {
  at: string;
  window: string;
  windowSeconds: number;
  eventRates: EventRate[];
  eventsInWindow: number;
  eventsPerSecond: number;
  eventsCurrent: number;
  eventsTotal: number;
  pushesInWindow: number;
  pushesCurrent: number;
  pushesTotal: number;
  operations: OperationMetrics[];
  series: MetricsPoint[];
  quality: { windowSeconds: number; totals: QualityRow; byModelVersion: QualityRow[]; byStrategy: QualityRow[] };
  queues: QueueDepth[];
  activeModel: string | null;
  processes: number;
}

export interface ModelVersion {
  id: string;
  kind: string;
  status: string;
  params: Record<string, unknown> | null;
  metrics: Record<string, unknown> | null;
  createdAt: string;
  activatedAt: string | null;
  trainSeconds: number | null;
  note: string | null;
}

export interface TrainingJob {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  progress: number;
  phase: string | null;
  epoch: number | null;
  loss: number | null;
  error: string | null;
  models: string[];
  servedVersion: string | null;
  createdAt: string | null;
}

export interface ProportionEstimate {
  successes: number;
  trials: number;
  rate: number;
  low: number;
  high: number;
}

export interface SignificanceTest {
  difference: number;
  differenceLow: number;
  differenceHigh: number;
  relativeLift: number | null;
  z: number;
  pValue: number;
  significant: boolean;
}

export interface ExperimentArm {
  modelVersion: string;
  fusionStrategy: string | null;
  label: string;
  baseVersion: string | null;
}

export interface Experiment {
  id: string;
  name: string;
  status: string;
  share: number;
  createdAt: string;
  stoppedAt: string | null;
  armA: ExperimentArm;
  armB: ExperimentArm;
  results: {
    arms: { arm: string; users: number; impressions: number; ctr: ProportionEstimate; conversion: ProportionEstimate }[];
    ctrTest: SignificanceTest | null;
    conversionTest: SignificanceTest | null;
  };
}

export interface PushedList {
  recommId: string;
  modelVersion: string;
  generatedAt: string;
  items: { score: number; item: { id: string; title: string; category: string | null; price: number | null }; reasons: { source: string; explanation: string | null }[] }[];
}
