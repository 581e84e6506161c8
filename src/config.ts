// The only reader of process.env: parses, validates and freezes every setting, and fails with a message
// naming the variable. Everything else receives a Config object.
import { randomBytes } from 'node:crypto';
import { sentinelOptionsFromUrl } from './redis/redisUrl';

export type Role = 'client' | 'admin';

/** Search, rules, bundles, context and cold start (issue #6). */
export interface SearchConfig {
  /** Share of a search result's score from the shopper's preference (0 = plain text relevance). */
  searchPersonalWeight: number;
  /** Largest share of one category in a list of personal recommendations, and in every head of it (1 = no cap). */
  diversityMaxShare: number;
  /** Weight of the context-conditioned popularity prior for shoppers with history, relative to all models. */
  contextPriorWeight: number;
  /** How long the items served under a recommId are remembered for the next page. */
  recommTtlSeconds: number;
  /** How long a search keeps steering a shopper's recommendations (the rest of the visit). */
  visitSeconds: number;
  /** How long a process reuses the text matches of a query (0 = never); a catalogue change empties it at once. */
  searchCacheSeconds: number;
}

export interface Config extends SearchConfig {
  nodeEnv: 'development' | 'production' | 'test';
  databaseUrl: string;
  redisUrl: string;
  /** Namespaces every Redis key, queue and pub/sub channel (one per test run, or per deployment). */
  redisPrefix: string;
  /**
   * How long a command on the shared command connection may wait for Redis's reply (0 = forever). A Redis that
   * keeps its connections open but stops answering (frozen, partitioned) would otherwise hold every request that
   * touches it; with a bound, the callers' degrade-gracefully paths (events stored, lists from Postgres) take over.
   * Well above the longest pause of an event loop (a model swap): a timer due then fires before the reply is read.
   */
  redisCommandTimeoutMs: number;
  port: number;
  host: string;
  adminApiKey: string;
  clientApiKey: string;
  /** Keyed-hash secret for pseudonymising user ids at ingestion (USER_ID_PSEUDONYM_KEY); null keeps ids as sent. */
  userIdPseudonymKey: string | null;
  /** True when the keys were generated at start (development only) and should be printed. */
  keysGenerated: boolean;
  sampleData: boolean;
  logLevel: string;
  /** How many items a pushed list holds for subscriptions deeper than PUSH_HEAD_DEPTH; the worker compares the top `pushDepth`. */
  cachedListSize: number;
  pushDepth: number;
  /** Recent events kept per user for scoring (the sequence window). */
  historyWindow: number;
  /** Items an API process keeps in memory for resolving lists and checking events; it loads them at start. */
  itemCacheSize: number;
  /**
   * Online updates on: every event moves the user's state at once. Off: lists come from the trained
   * snapshot only (how batch-only recommenders behave); `npm run replay` compares the two.
   */
  onlineUpdates: boolean;
  /** Requests per second each API key may sustain (0 = unlimited), and the burst above it. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** Users one online-update worker takes from the stream per batch. */
  onlineBatchSize: number;
  /**
   * Nice value a trainer process (`npm run trainer`, or the child `npm run worker` starts) runs at, 0–19: on a
   * machine it shares with API and online-update processes, those get the cores first and a retrain takes what is
   * left. 0 keeps the default priority.
   */
  workerNice: number;
  /** Whether `npm run worker` starts a trainer child; off where trainers run as processes of their own. */
  trainerChild: boolean;
  /** Cron pattern of the scheduled full retrain, or '' for none. */
  retrainCron: string;
  /** Models the default retrain trains. */
  defaultModels: string[];
  /** Cron pattern of the scheduled incremental retrain (cheap models, others kept), or '' for none. */
  incrementalCron: string;
  /** Models the incremental retrain refits; the active version's other components are kept. */
  incrementalModels: string[];
  /** Attempts per retrain job, and the first retry's delay (doubling after). */
  retrainAttempts: number;
  retrainBackoffMs: number;
  /** Held-out users sampled (seeded) to score candidates against the active model; 0 = every user. */
  retrainEvalUsers: number;
  /**
   * Candidate generation for personal lists: items taken from each model's head, from each relevant category's
   * head, and rule-boosted items at most; null (CANDIDATES=off) ranks the whole catalogue for every list.
   */
  candidates: { perModel: number; perCategory: number; maxBoosted: number } | null;
  /**
   * Embedding components (mf, seq) of at least this many items are served from an approximate nearest-neighbour
   * index (src/ml/ann) built when a model is loaded, instead of scoring every item per list; 0 = never.
   */
  annMinItems: number;
  /** The approximate index above annMinItems: 'ivf' (pure TypeScript, everywhere) or 'hnsw' (hnswlib-node if installed). */
  annEngine: 'ivf' | 'hnsw';
  /** Largest Prisma (pg) pool, search pool and event-path pool (prepared statements) of this configuration's database. */
  dbPoolSize: number;
  searchPoolSize: number;
  eventPoolSize: number;
  /**
   * Longest a statement of the request path (event insert, history and text-match reads) may run, and longest a
   * request waits for one of those pools' connections (0 = forever). A statement stuck behind a lock then fails as
   * SERVICE_UNAVAILABLE, which a client retries (events are idempotent by eventId), instead of holding its request.
   */
  dbStatementTimeoutMs: number;
  /** The same for each further tenant's database: every process opens one set per tenant it serves. */
  tenantDbPoolSize: number;
  tenantSearchPoolSize: number;
  tenantEventPoolSize: number;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const v = str(env, name, fallback);
  let parsed: URL;
  try {
    parsed = new URL(v);
  } catch {
    throw new ConfigError(name, `is not a valid URL: "${v}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return v;
}

/** A plain Redis URL, or a Sentinel one (redis+sentinel://host:port[,host:port]/<master name>[/<db>]). */
function redisUrl(env: Env, name: string, fallback: string): string {
  const v = str(env, name, fallback);
  try {
    if (sentinelOptionsFromUrl(v)) return v;
  } catch (err) {
    throw new ConfigError(name, (err as Error).message);
  }
  return url(env, name, fallback, ['redis:', 'rediss:', 'redis+sentinel:', 'rediss+sentinel:']);
}

/** A cron pattern (5 or 6 fields, e.g. "0 3 * * *"), or '' for none; BullMQ parses it fully at scheduling. */
function cron(env: Env, name: string): string {
  const v = str(env, name, '').trim();
  if (v && !/^\S+(\s+\S+){4,5}$/.test(v)) throw new ConfigError(name, `must be a cron pattern of 5 or 6 fields, got "${v}"`);
  return v;
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (['on', 'true', '1', 'yes'].includes(v.toLowerCase())) return true;
  if (['off', 'false', '0', 'no'].includes(v.toLowerCase())) return false;
  throw new ConfigError(name, `must be on or off, got "${v}"`);
}

function apiKey(env: Env, name: string, production: boolean): { key: string; generated: boolean } {
  const v = env[name];
  if (v !== undefined && v !== '') {
    if (v.length < 16) throw new ConfigError(name, 'must be at least 16 characters');
    return { key: v, generated: false };
  }
  if (production) throw new ConfigError(name, 'must be set when NODE_ENV=production');
  return { key: randomBytes(18).toString('base64url'), generated: true };
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const v = str(env, name, fallback);
  if (!values.includes(v as T)) throw new ConfigError(name, `must be one of ${values.join(', ')}, got "${v}"`);
  return v as T;
}

/** An optional secret: unset means off; a short one is refused rather than silently weak. */
function secret(env: Env, name: string, minLength: number): string | null {
  const v = env[name];
  if (v === undefined || v === '') return null;
  if (v.length < minLength) throw new ConfigError(name, `must be at least ${minLength} characters`);
  return v;
}

function fraction(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(name, `must be a number between ${min} and ${max}, got "${raw}"`);
  return n;
}

/** Builds the configuration from an environment map (process.env by default). */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const nodeEnvRaw = str(env, 'NODE_ENV', 'development');
  if (!['development', 'production', 'test'].includes(nodeEnvRaw)) {
    throw new ConfigError('NODE_ENV', `must be development, production or test, got "${nodeEnvRaw}"`);
  }
  const nodeEnv = nodeEnvRaw as Config['nodeEnv'];
  const production = nodeEnv === 'production';
  const admin = apiKey(env, 'ADMIN_API_KEY', production);
  const client = apiKey(env, 'CLIENT_API_KEY', production);
  const prefix = str(env, 'REDIS_PREFIX', 'freshrec');
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) throw new ConfigError('REDIS_PREFIX', 'may hold only letters, digits, _ . -');
  const cachedListSize = int(env, 'CACHED_LIST_SIZE', 50, 10, 500);
  const list = (name: string, fallback: string) =>
    str(env, name, fallback)
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
  const models = list('DEFAULT_MODELS', 'pop,itemknn');
  return Object.freeze({
    nodeEnv,
    databaseUrl: url(env, 'DATABASE_URL', 'postgresql://postgres@127.0.0.1:5432/freshrec', ['postgresql:', 'postgres:']),
    redisUrl: redisUrl(env, 'REDIS_URL', 'redis://127.0.0.1:6379'),
    redisPrefix: prefix,
    redisCommandTimeoutMs: int(env, 'REDIS_COMMAND_TIMEOUT_MS', 5000, 0, 600_000),
    port: int(env, 'PORT', 4000, 0, 65535),
    host: str(env, 'HOST', '0.0.0.0'),
    adminApiKey: admin.key,
    clientApiKey: client.key,
    keysGenerated: admin.generated || client.generated,
    userIdPseudonymKey: secret(env, 'USER_ID_PSEUDONYM_KEY', 32),
    sampleData: onOff(env, 'SAMPLE_DATA', true),
    logLevel: str(env, 'LOG_LEVEL', nodeEnv === 'test' ? 'warn' : 'info'),
    cachedListSize,
    pushDepth: int(env, 'PUSH_DEPTH', 10, 1, cachedListSize),
    historyWindow: int(env, 'HISTORY_WINDOW', 50, 1, 500),
    itemCacheSize: int(env, 'ITEM_CACHE_SIZE', 200_000, 0, 10_000_000),
    onlineUpdates: onOff(env, 'ONLINE_UPDATES', true),
    onlineBatchSize: int(env, 'ONLINE_BATCH_SIZE', 100, 1, 1000),
    workerNice: int(env, 'WORKER_NICE', 10, 0, 19),
    trainerChild: onOff(env, 'TRAINER_CHILD', true),
    rateLimitPerSecond: int(env, 'RATE_LIMIT_PER_SECOND', 1000, 0, 1_000_000),
    rateLimitBurst: int(env, 'RATE_LIMIT_BURST', 2000, 1, 10_000_000),
    retrainCron: cron(env, 'RETRAIN_CRON'),
    defaultModels: models,
    incrementalCron: cron(env, 'INCREMENTAL_CRON'),
    incrementalModels: list('INCREMENTAL_MODELS', 'pop,itemknn'),
    retrainAttempts: int(env, 'RETRAIN_ATTEMPTS', 3, 1, 20),
    retrainBackoffMs: int(env, 'RETRAIN_BACKOFF_MS', 5000, 0, 3_600_000),
    retrainEvalUsers: int(env, 'RETRAIN_EVAL_USERS', 5000, 0, 10_000_000),
    searchPersonalWeight: fraction(env, 'SEARCH_PERSONAL_WEIGHT', 0.3, 0, 1),
    diversityMaxShare: fraction(env, 'DIVERSITY_MAX_SHARE', 0.5, 0.05, 1),
    contextPriorWeight: fraction(env, 'CONTEXT_PRIOR_WEIGHT', 0.1, 0, 10),
    recommTtlSeconds: int(env, 'RECOMM_TTL_SECONDS', 1800, 10, 7 * 86400),
    visitSeconds: int(env, 'VISIT_SECONDS', 1800, 10, 7 * 86400),
    searchCacheSeconds: int(env, 'SEARCH_CACHE_SECONDS', 30, 0, 3600),
    candidates: onOff(env, 'CANDIDATES', true)
      ? {
          perModel: int(env, 'CANDIDATES_PER_MODEL', 200, 10, 100_000),
          perCategory: int(env, 'CANDIDATES_PER_CATEGORY', 50, 1, 100_000),
          maxBoosted: int(env, 'CANDIDATES_MAX_BOOSTED', 2000, 0, 1_000_000),
        }
      : null,
    // Exact scoring of 100k × 64 takes ~3 ms (docs/benchmarks.md): the index pays for itself beyond ~150k items.
    annMinItems: int(env, 'ANN_MIN_ITEMS', 150_000, 0, 1_000_000_000),
    annEngine: oneOf(env, 'ANN_ENGINE', ['ivf', 'hnsw'] as const, 'ivf'),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1, 1000),
    searchPoolSize: int(env, 'SEARCH_POOL_SIZE', 8, 1, 1000),
    tenantDbPoolSize: int(env, 'TENANT_DB_POOL_SIZE', 3, 1, 1000),
    tenantSearchPoolSize: int(env, 'TENANT_SEARCH_POOL_SIZE', 2, 1, 1000),
    // Group commit and per-turn batching keep the event path's statements (insert, history and online reads) few in flight.
    eventPoolSize: int(env, 'EVENT_POOL_SIZE', 4, 1, 1000),
    dbStatementTimeoutMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 10_000, 0, 3_600_000),
    tenantEventPoolSize: int(env, 'TENANT_EVENT_POOL_SIZE', 2, 1, 1000),
  });
}
