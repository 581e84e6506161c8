// Every GraphQL document the dashboard sends, in one place.

const METRICS_FIELDS = `at window windowSeconds eventsInWindow eventsPerSecond eventsCurrent eventsTotal
  pushesInWindow pushesCurrent pushesTotal activeModel processes
  eventRates { type count perSecond current }
  operations { operation requests perSecond serverErrors clientErrors errorRate p50Ms p95Ms p99Ms }
  series { at events requests errors pushes byType { type count } }
  quality {
    windowSeconds
    totals { key impressions clicks conversions ctr conversionRate }
    byModelVersion { key impressions clicks conversions ctr conversionRate }
    byStrategy { key impressions clicks conversions ctr conversionRate }
  }`;

/** Failure reasons are admin-only; a client key asks for the queue counts alone. */
export function liveMetricsSubscription(admin: boolean): string {
  const queues = admin
    ? 'queues { name waiting active delayed failed completed failedJobs(limit: 5) { id name reason attempts failedAt } }'
    : 'queues { name waiting active delayed failed completed }';
  return `subscription($window: String) { liveMetrics(window: $window) { ${METRICS_FIELDS} ${queues} } }`;
}

export const MODEL_VERSIONS = `query { modelVersions(limit: 12) { id kind status params metrics createdAt activatedAt trainSeconds note } }`;
export const PROMOTE = `mutation($v: ID!) { promoteModel(version: $v) { id status } }`;
export const ROLLBACK = `mutation { rollbackModel { id status } }`;

const JOB_FIELDS = `id status progress phase epoch loss error models servedVersion createdAt`;
export const RECENT_JOBS = `query { recentTrainingJobs(limit: 6) { ${JOB_FIELDS} } }`;
export const RETRAIN = `mutation { retrain { ${JOB_FIELDS} } }`;
export const TRAINING_PROGRESS = `subscription($id: ID!) { trainingProgress(jobId: $id) { ${JOB_FIELDS} } }`;

const ARM = `modelVersion fusionStrategy label baseVersion`;
const ESTIMATE = `successes trials rate low high`;
const TEST = `difference differenceLow differenceHigh relativeLift z pValue significant`;
export const EXPERIMENTS = `query { experiments(limit: 5) {
  id name status share createdAt stoppedAt armA { ${ARM} } armB { ${ARM} }
  results { arms { arm users impressions ctr { ${ESTIMATE} } conversion { ${ESTIMATE} } } ctrTest { ${TEST} } conversionTest { ${TEST} } }
} }`;
export const CREATE_EXPERIMENT = `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id } }`;
export const STOP_EXPERIMENT = `mutation($id: ID!) { stopExperiment(id: $id) { id status } }`;

const LIST_FIELDS = `recommId modelVersion generatedAt items { score item { id title category price } reasons { source explanation } }`;
/** The shopper's current list; the context marks it as the dashboard's, so online quality leaves it out. */
export const SHOPPER_LIST = `query($u: ID!) { recommendations(userId: $u, limit: 10, context: { source: "dashboard" }) { ${LIST_FIELDS} } }`;
export const SHOPPER_UPDATES = `subscription($u: ID!) { recommendationsUpdated(userId: $u, limit: 10) { ${LIST_FIELDS} } }`;
