// Start-up steps shared by the entry points: reach the services (with a clear message when they are down),
// create and migrate the database, and keep the worker's queues and schedules in place.
import { connectRedis } from '../redis/redisConnections';
import { redisEndpoint } from '../redis/redisUrl';
import { ConfigError, type Config } from '../config';
import type { Logger } from '../logger';
import { applyMigrations, ensureDatabase } from '../db/migrationRunner';
import type { Services } from './services';
import { installRetrainSchedules } from '../jobs/retrainScheduler';
import { resolveKinds } from '../domain/training/trainingService';

export class ServiceDownError extends Error {}

const HOW_TO_START =
  'Start them with `docker compose up -d postgres redis`, or on Debian: ' +
  '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` and ' +
  '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`.';

async function checkPostgres(config: Config): Promise<void> {
  try {
    await ensureDatabase(config.databaseUrl);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
      throw new ServiceDownError(`Postgres is not answering at ${new URL(config.databaseUrl).host}. ${HOW_TO_START}`);
    }
    throw err;
  }
}

async function checkRedis(config: Config): Promise<void> {
  const probe = connectRedis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch {
    throw new ServiceDownError(`Redis is not answering at ${redisEndpoint(config.redisUrl)}. ${HOW_TO_START}`);
  } finally {
    probe.disconnect();
  }
}

/** Ensures Postgres and Redis answer, the database exists and every migration is applied. */
export async function prepareInfrastructure(config: Config, log: Logger): Promise<void> {
  await checkPostgres(config);
  await checkRedis(config);
  const { applied } = await applyMigrations(config.databaseUrl);
  if (applied.length) log.info({ applied }, 'migrations applied');
}

/** The job id of the first training a deployment with events but no model queues at start. */
export const INITIAL_TRAINING_JOB = 'bootstrap-initial-model';

/** Queues a first training when events exist but no model is active yet (fresh install, sample data). */
export async function requestInitialTraining(services: Services): Promise<string | null> {
  if (await services.versions.active()) return null;
  if (!(await services.db.event.findFirst({ select: { id: true } }))) return null;
  const queue = services.retrainProducer.queue;
  // One job id, so processes starting together queue one job. A finished job of that id (kept in Redis while the
  // database was replaced, say) would turn the add into a no-op and leave the shop without a model: it goes first.
  const previous = await queue.getJob(INITIAL_TRAINING_JOB);
  if (previous && ((await previous.isCompleted()) || (await previous.isFailed()))) await previous.remove().catch(() => undefined);
  const job = await queue.add('retrain', { models: services.config.defaultModels, full: true, requestedBy: 'bootstrap' }, { jobId: INITIAL_TRAINING_JOB });
  return job.id as string;
}

/**
 * Makes retrains run one at a time across workers and installs (or removes) the repeatable full retrain
 * (RETRAIN_CRON, DEFAULT_MODELS) and incremental retrain (INCREMENTAL_CRON, INCREMENTAL_MODELS).
 */
export async function scheduleRetraining(services: Services): Promise<void> {
  const { retrainCron, defaultModels, incrementalCron, incrementalModels } = services.config;
  // A model list this build cannot train would fail every scheduled job: refuse to start instead.
  const checked = (variable: string, models: string[]) => {
    try {
      return resolveKinds(models, []);
    } catch (err) {
      throw new ConfigError(variable, (err as Error).message);
    }
  };
  await installRetrainSchedules(services.retrainProducer.queue, {
    fullCron: retrainCron,
    fullModels: checked('DEFAULT_MODELS', defaultModels),
    incrementalCron,
    incrementalModels: incrementalCron ? checked('INCREMENTAL_MODELS', incrementalModels) : incrementalModels,
  });
}
