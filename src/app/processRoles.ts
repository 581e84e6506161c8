// The roles a process can play, started on a shared Services object: serving the API, and running the queue
// workers (online updates, retraining, or both). `npm start` runs everything; `npm run serve` the API; `npm run
// worker` the online updates, with retraining in its trainer child (`npm run trainer`). Every role serves every
// tenant: the API picks the caller's tenant per request, the workers run one set of jobs per tenant.
import type { Services } from './services';
import { startApiServer, type ApiServer } from '../server/apiServer';
import { OnlineUpdateWorker } from '../jobs/onlineUpdateWorker';
import { startRetrainWorker } from '../jobs/retrainWorker';
import { requestInitialTraining, scheduleRetraining } from './bootstrap';
import { OnlineCatchUp } from '../domain/online/onlineCatchUp';
import { TenantDirectory } from './tenantDirectory';
import { TenantWorkers } from './tenantWorkers';

export interface RunningRole {
  stop(): Promise<void>;
}

/**
 * `tenants` is the process's directory of tenant Services, shared by its roles; without one the role keeps its own
 * and closes it when it stops.
 */
export async function startApiRole(services: Services, port?: number, tenants?: TenantDirectory): Promise<RunningRole & { server: ApiServer }> {
  const directory = tenants ?? new TenantDirectory(services);
  const server = await startApiServer(directory, port);
  // In the background: requests are served meanwhile, reading Postgres for what is not loaded yet.
  void services.items
    .warm()
    .then((n) => services.log.info({ items: n }, 'item cache loaded'))
    .catch((err) => services.log.warn({ err }, 'item cache not loaded; items are read as asked'));
  return {
    server,
    stop: async () => {
      await server.stop();
      if (!tenants) await directory.close();
    },
  };
}

/** Which of the queue workers a process runs. */
export interface WorkerJobs {
  /** The online-update stream and its catch-up sweeper. */
  online: boolean;
  /** The retrain queue, its schedule and the first training. */
  retrain: boolean;
}

const ALL_JOBS: WorkerJobs = { online: true, retrain: true };

/** The default tenant's workers on `services`, plus those of every further tenant (see TenantWorkers). */
export async function startWorkerRole(services: Services, tenants?: TenantDirectory, jobs: WorkerJobs = ALL_JOBS): Promise<RunningRole & { tenantWorkers: TenantWorkers }> {
  const own = await startTenantWorkerRole(services, jobs);
  const directory = tenants ?? new TenantDirectory(services);
  const tenantWorkers = new TenantWorkers(directory, (s) => startTenantWorkerRole(s, jobs), services.log.child({ module: 'tenantWorkers' }));
  await tenantWorkers.start();
  return {
    tenantWorkers,
    stop: async () => {
      await tenantWorkers.stop();
      await own.stop();
      if (!tenants) await directory.close();
    },
  };
}

/** One tenant's queue workers, catch-up and schedules: those `jobs` names. */
async function startTenantWorkerRole(services: Services, jobs: WorkerJobs): Promise<RunningRole> {
  const { config, log } = services;
  const stops: (() => Promise<void>)[] = [];
  if (jobs.online) {
    const online = new OnlineUpdateWorker(services.onlineStream, services.online, services.blockingConnection('freshrec:online-worker'), log.child({ module: 'onlineWorker' }), {
      batchSize: config.onlineBatchSize,
    });
    await online.start();
    const catchUp = new OnlineCatchUp(services.db, services.userState, (users) => services.onlineStream.notify(users), log.child({ module: 'catchUp' }));
    if (config.onlineUpdates) await catchUp.start();
    stops.push(async () => {
      await catchUp.stop();
      await online.close();
    });
  }
  if (jobs.retrain) {
    const retrain = startRetrainWorker(services.training, services.blockingConnection('freshrec:retrain-worker'), config.redisPrefix, log);
    await retrain.waitUntilReady();
    await scheduleRetraining(services);
    const initial = await requestInitialTraining(services);
    if (initial) log.info({ jobId: initial }, 'no active model yet: initial training queued');
    stops.push(() => retrain.close());
  }
  return {
    // Closing a worker waits for its in-flight jobs to finish.
    stop: async () => {
      await Promise.all(stops.map((stop) => stop()));
    },
  };
}
