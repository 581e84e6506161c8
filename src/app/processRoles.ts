// The two roles a process can play, started on a shared Services object: serving the API, and running
// the queue workers. `npm start` runs both; `npm run serve` and `npm run worker` run one each.
import type { Worker } from 'bullmq';
import type { Services } from './services';
import { startApiServer, type ApiServer } from '../server/apiServer';
import { startOnlineUpdateWorker } from '../jobs/onlineUpdateWorker';
import { startRetrainWorker } from '../jobs/retrainWorker';
import { requestInitialTraining, scheduleRetraining } from './bootstrap';
import { OnlineCatchUp } from '../domain/online/onlineCatchUp';

export interface RunningRole {
  stop(): Promise<void>;
}

export async function startApiRole(services: Services, port?: number): Promise<RunningRole & { server: ApiServer }> {
  const server = await startApiServer(services, port);
  return { server, stop: () => server.stop() };
}

export async function startWorkerRole(services: Services): Promise<RunningRole & { workers: Worker[] }> {
  const { config, log } = services;
  const workers: Worker[] = [
    startOnlineUpdateWorker(services.online, services.blockingConnection('freshrec:online-worker'), config.redisPrefix, config.onlineConcurrency, log),
    startRetrainWorker(services.training, services.blockingConnection('freshrec:retrain-worker'), config.redisPrefix, log),
  ];
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const catchUp = new OnlineCatchUp(services.db, (users) => services.onlineProducer.notify(users), log.child({ module: 'catchUp' }));
  if (config.onlineUpdates) await catchUp.start();
  await scheduleRetraining(services);
  const initial = await requestInitialTraining(services);
  if (initial) log.info({ jobId: initial }, 'no active model yet: initial training queued');
  return {
    workers,
    // Closing a worker waits for its in-flight jobs to finish.
    stop: async () => {
      await catchUp.stop();
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
