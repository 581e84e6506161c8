// Builds every long-lived object of a process from the configuration, in dependency order, and tears them
// down in reverse. API and worker processes share this wiring; each starts only the parts it needs. One Services
// object serves one tenant; a further tenant's borrows the control plane (keys, tenants, auth, process metrics)
// of the default tenant's, and owns everything else: its database, Redis prefix, queues, models and caches.
import type { Config } from '../config';
import { createLogger, type Logger } from '../logger';
import { createPrismaClient, type Db } from '../db/prismaClient';
import { createPgPool } from '../db/pgPool';
import { createBlockingRedis, createRedis, KeySpace, type Redis } from '../redis/redisConnections';
import { RedisPubSub } from '../pubsub/redisPubSub';
import { ApiKeyAuth } from '../domain/auth/apiKeyAuth';
import { RateLimiter } from '../domain/auth/rateLimiter';
import { ApiKeyStore } from '../domain/auth/apiKeyStore';
import { ItemService } from '../domain/items/itemService';
import { EventService } from '../domain/events/eventService';
import { DEFAULT_FRAUD_LIMITS, FraudDetector, knownSinceInDatabase } from '../domain/events/fraudDetector';
import { ModelVersionStore } from '../domain/models/modelVersionStore';
import { ActiveModel } from '../domain/models/activeModel';
import { ItemIndexHook } from '../domain/models/itemIndexHook';
import { initBackend } from '../ml/backend';
import { UserStateStore } from '../domain/users/userStateStore';
import { discardStateOfOtherDatabase } from '../domain/users/stateOrigin';
import { UserHistoryReader } from '../domain/users/userHistory';
import { UserService } from '../domain/users/userService';
import { UserIdPseudonymizer } from '../domain/users/userIdPseudonymizer';
import { CatalogIndex } from '../domain/recommendations/catalogIndex';
import { ImpressionRecorder } from '../domain/recommendations/impressionRecorder';
import { RecommendationService } from '../domain/recommendations/recommendationService';
import { OnlineUpdateService } from '../domain/online/onlineUpdateService';
import { TrainingService } from '../domain/training/trainingService';
import { TrainingJobs } from '../domain/training/trainingJobs';
import { ModelRegistryService } from '../domain/models/modelRegistryService';
import { RetrainProducer } from '../jobs/queues';
import { OnlineUpdateStream } from '../jobs/onlineUpdateStream';
import { bullQueueSource } from '../domain/metrics/queueStatus';
import { createTelemetry, type Telemetry } from '../observability/telemetry';
import { countPushes, countStoredEvents } from '../observability/serviceInstrumentation';
import { LiveTrafficReader } from '../domain/metrics/liveTrafficReader';
import { SystemMetricsService } from '../domain/metrics/systemMetricsService';
import { LiveMetricsFeed } from '../domain/metrics/liveMetricsFeed';
import { ArmModels } from '../domain/experiments/armModels';
import { ExperimentStore } from '../domain/experiments/experimentStore';
import { ExperimentService } from '../domain/experiments/experimentService';
import { ExperimentRouter } from '../domain/experiments/experimentRouter';
import { RuleService } from '../domain/rules/ruleService';
import { ContextPrior } from '../domain/recommendations/contextPrior';
import { SearchIntentStore } from '../domain/recommendations/searchIntent';
import { ServedPages } from '../domain/recommendations/servedPages';
import { SearchService } from '../domain/search/searchService';
import { SuggestService } from '../domain/search/suggestService';
import { TextMatcher } from '../domain/search/textMatch';
import { TextMatchCache } from '../domain/search/textMatchCache';
import { createGenericPlanPool } from '../db/genericPlanPool';
import { QueryLog } from '../domain/search/queryLog';
import { BundleService } from '../domain/bundles/bundleService';
import { TenantRegistry } from '../domain/tenants/tenantRegistry';
import { DEFAULT_TENANT } from '../domain/tenants/tenantId';
import { provisionTenantDatabase } from './tenantConfig';

export interface Services {
  /** The tenant every object here serves ('default' for the control database's own shop). */
  tenantId: string;
  config: Readonly<Config>;
  log: Logger;
  db: Db;
  redis: Redis;
  keys: KeySpace;
  pubsub: RedisPubSub;
  /** Control plane (shared by every tenant of a process): authentication and the tenant registry. */
  auth: ApiKeyAuth;
  tenants: TenantRegistry;
  /** The keys of this tenant. */
  apiKeys: ApiKeyStore;
  rateLimiter: RateLimiter;
  items: ItemService;
  events: EventService;
  fraud: FraudDetector;
  users: UserService;
  versions: ModelVersionStore;
  activeModel: ActiveModel;
  catalog: CatalogIndex;
  recommendations: RecommendationService;
  online: OnlineUpdateService;
  training: TrainingService;
  trainingJobs: TrainingJobs;
  registry: ModelRegistryService;
  onlineStream: OnlineUpdateStream;
  /** Per-user online state in Redis (the catch-up sweeper checks it). */
  userState: UserStateStore;
  retrainProducer: RetrainProducer;
  /** Prometheus metrics of this process and the cluster-wide live counters (src/observability). */
  telemetry: Telemetry;
  systemMetrics: SystemMetricsService;
  liveMetrics: LiveMetricsFeed;
  experiments: ExperimentService;
  rules: RuleService;
  contextPrior: ContextPrior;
  search: SearchService;
  suggest: SuggestService;
  bundles: BundleService;
  /** Maps client-sent user ids to the stored ones (identity unless USER_ID_PSEUDONYM_KEY is set). */
  userIds: UserIdPseudonymizer;
  /** The process's shared Redis connections (the default tenant's), lent to further tenants' Services. */
  redisConnections: { command: Redis; subscriber: Redis; bull: Redis };
  /** Connections a BullMQ worker may block on, created on demand and closed with the rest. */
  blockingConnection(name: string): Redis;
  close(): Promise<void>;
}

export interface TenantOptions {
  tenantId: string;
  /** The default tenant's Services of this process, whose control plane this tenant's Services borrow. */
  control: Services;
}

export async function createServices(config: Readonly<Config>, log: Logger = createLogger(config.logLevel), tenant?: TenantOptions): Promise<Services> {
  const tenantId = tenant?.tenantId ?? DEFAULT_TENANT;
  const control = tenant?.control;
  const db = createPrismaClient(config.databaseUrl, config.dbPoolSize);
  // A further tenant borrows the process's Redis connections: its keys, queues and channels are told apart by its
  // prefix, not by the connection, so it costs no connection of its own outside the workers' blocking ones.
  const lent = control?.redisConnections;
  const bounded = config.redisCommandTimeoutMs ? { commandTimeout: config.redisCommandTimeoutMs } : {};
  // Commands issued in one turn of the event loop leave in one write: under load the request path's round trips
  // (history, intent, fraud check, stream notices) of many requests share a syscall instead of one each.
  const redis = lent?.command ?? createRedis(config.redisUrl, 'freshrec:cmd', { ...bounded, enableAutoPipelining: true });
  const subscriber = lent?.subscriber ?? createRedis(config.redisUrl, 'freshrec:sub');
  // BullMQ defines its ~60 scripts on the connection it is given, and ioredis copies every defined script into each
  // pipeline() and multi() made on that connection (measured: 50 µs per pipeline instead of 4). The request path
  // makes several per request on the command connection, so BullMQ gets a connection of its own.
  // Only the retrain queue's producer uses it (no blocking reads), so its commands are bounded too.
  const bull = lent?.bull ?? createRedis(config.redisUrl, 'freshrec:bull', bounded);
  const extra: Redis[] = [];
  const keys = new KeySpace(config.redisPrefix);
  const pubsub = new RedisPubSub(redis, subscriber, keys);
  const items = new ItemService(db, pubsub, config.itemCacheSize);
  // Every tenant's pub/sub, queues and stores listen on these: no fixed number of listeners is "too many".
  if (!lent) for (const c of [redis, subscriber, bull]) c.setMaxListeners(0);
  const onlineStream = new OnlineUpdateStream(redis, keys);
  const retrainProducer = new RetrainProducer(bull, config.redisPrefix, { attempts: config.retrainAttempts, backoffMs: config.retrainBackoffMs });
  // Without a listener an 'error' (Redis down) would be thrown from the emitter; it is logged and retried.
  retrainProducer.queue.on('error', (err) => log.warn({ err: err.message }, 'retrain queue unavailable'));
  // One connection, opened only while a version's artefacts stream in (a swap, a retrain loading the served version).
  const artifactPool = createPgPool(config.databaseUrl, 1, { idleTimeoutMillis: 5000 }, (err) => log.warn({ err: err.message }, 'artefact pool connection lost'));
  const versions = new ModelVersionStore(db, artifactPool);
  const activeModel = new ActiveModel(versions, pubsub, log.child({ module: 'activeModel' }));
  const state = new UserStateStore(redis, keys, config.historyWindow);
  await discardStateOfOtherDatabase(db, redis, keys, log);
  // The statements on every event's and every list's path (the event insert, the online update's reads, the
  // history reads) run as prepared statements on a pool of their own.
  const eventPool = createGenericPlanPool(config.databaseUrl, config.eventPoolSize, (err) => log.warn({ err: err.message }, 'event pool connection lost'), config.dbStatementTimeoutMs);
  const histories = new UserHistoryReader(eventPool, state, config.historyWindow);
  const catalog = new CatalogIndex(db);
  const impressions = new ImpressionRecorder(db, log.child({ module: 'impressions' }));
  const queues = () => [onlineStream, bullQueueSource(retrainProducer.queue)];
  // Prometheus metrics are per process: a tenant reports into the control registry (its live counters stay its own).
  const telemetry = createTelemetry({ redis, keys, log: log.child({ module: 'liveMetrics' }), queues, activeModel }, control?.telemetry.prometheus);
  // Outside an A/B experiment everyone gets the active version; during one, each shopper gets their arm's version.
  const armModels = new ArmModels(versions, catalog, log.child({ module: 'experiments' }));
  const experiments = new ExperimentService(db, new ExperimentStore(db), versions, activeModel, armModels, log.child({ module: 'experiments' }));
  const rules = new RuleService(db, pubsub, log.child({ module: 'rules' }));
  const contextPrior = new ContextPrior(eventPool, log.child({ module: 'contextPrior' }));
  const intent = new SearchIntentStore(redis, keys, config.visitSeconds);
  const recommendations = new RecommendationService(new ExperimentRouter(activeModel, experiments, armModels), catalog, histories, impressions, config.onlineUpdates, {
    rules,
    contextPrior,
    intent,
    pages: new ServedPages(redis, keys, config.recommTtlSeconds),
    maxCategoryShare: config.diversityMaxShare,
    contextWeight: config.contextPriorWeight,
    candidates: config.candidates,
    log: log.child({ module: 'recommendations' }),
  });
  const online = countPushes(
    new OnlineUpdateService(eventPool, state, histories, recommendations, activeModel, pubsub, config.cachedListSize, config.pushDepth, log.child({ module: 'online' })),
    telemetry,
  );
  const systemMetrics = new SystemMetricsService(db, new LiveTrafficReader(redis, keys), queues, activeModel);
  const liveMetrics = new LiveMetricsFeed(systemMetrics, log.child({ module: 'liveMetrics' }));
  // With online updates off nothing moves a user's state between retrains.
  const notify = config.onlineUpdates ? (users: string[]) => onlineStream.notify(users) : async () => undefined;
  const fraud = new FraudDetector(redis, keys, DEFAULT_FRAUD_LIMITS, knownSinceInDatabase(eventPool));
  const userIds = new UserIdPseudonymizer(config.userIdPseudonymKey);
  const events = countStoredEvents(new EventService(db, eventPool, items, fraud, notify, (users) => state.markStale(users), log.child({ module: 'events' }), userIds), telemetry);
  const queryLog = new QueryLog(db, log.child({ module: 'search' }));
  // Search's text matching runs on its own small pg pool (see TextMatcher).
  const searchPool = createGenericPlanPool(config.databaseUrl, config.searchPoolSize, (err) => log.warn({ err: err.message }, 'search pool connection lost'), config.dbStatementTimeoutMs);
  const textMatches = new TextMatchCache(new TextMatcher(searchPool), config.searchCacheSeconds * 1000);
  const search = new SearchService(textMatches, recommendations, events, rules, intent, queryLog, impressions, log.child({ module: 'search' }), {
    personalWeight: config.searchPersonalWeight,
  });
  const suggest = new SuggestService(db, recommendations);
  const bundles = new BundleService(db, recommendations, rules, impressions);
  const users = new UserService(db, state, pubsub, fraud);
  const trainingJobs = new TrainingJobs(retrainProducer, pubsub, config.defaultModels);
  const training = new TrainingService(db, versions, pubsub, log.child({ module: 'training' }), {
    jobs: trainingJobs,
    evalUsers: config.retrainEvalUsers || undefined,
    defaultModels: config.defaultModels,
  });
  const registry = new ModelRegistryService(db, versions, activeModel, pubsub, log.child({ module: 'registry' }));

  // The catalogue index is aligned with a model before it is served, and follows every catalogue change.
  activeModel.addSwapHooks(catalog);
  // Large catalogues: embedding components get an approximate item index before the model is served.
  activeModel.addSwapHooks(new ItemIndexHook(config.annMinItems, log.child({ module: 'itemIndex' }), config.annEngine));
  await pubsub.on('items:changed', ({ ids }) => void catalog.update(ids).catch((err) => log.warn({ err }, 'catalogue update failed')));
  await pubsub.on('items:changed', () => textMatches.clear());
  await items.start();
  // Keys and tenants live in the control database; only the default tenant's objects listen for their changes.
  const apiKeys = control ? new ApiKeyStore(control.db, control.pubsub, tenantId) : new ApiKeyStore(db, pubsub);
  const tenants =
    control?.tenants ??
    new TenantRegistry(db, pubsub, (id) => provisionTenantDatabase(config.databaseUrl, id));
  if (!control) {
    await apiKeys.start();
    await tenants.start();
  }
  await registry.start();
  await rules.start();
  await contextPrior.start();
  // Learned models (mf, seq) score with TensorFlow.js, whose backend must be chosen before the first load.
  await initBackend({ logger: (level, message) => log[level]({ module: 'tfjs' }, message) });
  await activeModel.start();
  await experiments.start();
  telemetry.live.start();

  return {
    tenantId,
    config,
    log,
    db,
    redis,
    keys,
    pubsub,
    auth: control?.auth ?? new ApiKeyAuth(config, apiKeys, tenants),
    tenants,
    apiKeys,
    // Budgets are per key and key ids are unique across tenants, so one limiter (the control one) serves all.
    rateLimiter: control?.rateLimiter ?? new RateLimiter(redis, keys, config.rateLimitPerSecond, config.rateLimitBurst),
    items,
    events,
    fraud,
    users,
    versions,
    activeModel,
    catalog,
    recommendations,
    online,
    training,
    trainingJobs,
    registry,
    onlineStream,
    userState: state,
    retrainProducer,
    telemetry,
    systemMetrics,
    liveMetrics,
    experiments,
    rules,
    contextPrior,
    search,
    suggest,
    bundles,
    userIds,
    redisConnections: { command: redis, subscriber, bull },
    blockingConnection(name) {
      const conn = createBlockingRedis(config.redisUrl, name);
      extra.push(conn);
      return conn;
    },
    async close() {
      liveMetrics.close();
      await experiments.close();
      await telemetry.live.close();
      contextPrior.stop();
      await rules.stop();
      await queryLog.flush();
      await searchPool.end();
      await eventPool.end();
      await impressions.flush();
      await activeModel.stop();
      await artifactPool.end();
      await pubsub.close();
      await retrainProducer.close();
      for (const c of [...(lent ? [] : [subscriber, bull]), ...extra, ...(lent ? [] : [redis])]) c.disconnect();
      await db.$disconnect();
    },
  };
}
